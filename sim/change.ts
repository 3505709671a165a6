// A technician at the rack: `npm run sim -- change NODE OP ARGS` (beside a running `npm run sim`,
// same --dir) changes a node's hardware (hardware.ts). DIMMs and disks show at the node's next
// power on; a moved cable's new switch port advertises itself at once (the agent sees it at its
// next boot too).
//   change NODE remove-dimm LOCATOR        e.g. remove-dimm B1
//   change NODE replace-disk DISK          a new disk of the same model: new serial and WWN
//   change NODE move-cable PORT [SWITCH]   eth0 to another port (of another switch)
//   change NODE show                       the node's hardware as it stands

import path from 'node:path';
import { z } from 'zod';
import { applyChange, type Change, type NodeHardware, readHardware, writeHardware } from './hardware';
import { cablePort } from './switch';

/** Makes the change on the node whose files are in nodeDir; says what was done. */
export function changeNode(nodeDir: string, change: Change): string {
  const { hardware, done } = applyChange(readHardware(nodeDir), change);
  writeHardware(nodeDir, hardware);
  if (change.op === 'move-cable') cablePort(nodeDir, hardware.cable);
  return done;
}

export function describeHardware(hw: NodeHardware): string {
  const gib = (mb: number) => `${mb / 1024} GiB`;
  const installed = hw.dimm_slots.filter((s) => s.dimm);
  return [
    `system   ${hw.system.manufacturer} ${hw.system.product}, serial ${hw.system.serial}; BIOS ${hw.bios.version}`,
    `memory   ${gib(installed.reduce((sum, s) => sum + s.dimm!.size_mb, 0))}: ${hw.dimm_slots.map((s) => `${s.locator} ${s.dimm ? gib(s.dimm.size_mb) : 'empty'}`).join(', ')}`,
    ...hw.disks.map((d) => `disk     ${d.name} ${d.model} ${Math.round(d.size_bytes / 1e9)} GB serial ${d.serial} wwn 0x${d.wwid.slice(4)}`),
    `eth0     ${hw.cable ? `${hw.cable.switch} ${hw.cable.port}` : 'unplugged'}`,
  ].join('\n');
}

const NodeName = z.string().regex(/^[a-z]{1,5}-node-\d{2}$/, 'a node name like sim-node-03');
const Token = z.string().regex(/^[A-Za-z0-9/._:-]{1,64}$/, 'letters, digits and / . _ : - (at most 64)');
const Args = z.union([
  z.tuple([NodeName, z.literal('show')]),
  z.tuple([NodeName, z.literal('remove-dimm'), Token]),
  z.tuple([NodeName, z.literal('replace-disk'), Token]),
  z.tuple([NodeName, z.literal('move-cable'), Token, Token.optional()]),
]);

const USAGE = 'usage: npm run sim -- change NODE remove-dimm LOCATOR | replace-disk DISK | move-cable PORT [SWITCH] | show  [--dir DIR]';

/** `change ...` of sim/main.ts: argv after `change`; resolves to the exit status. */
export async function changeCommand(argv: string[], defaultDir: string): Promise<number> {
  const dirAt = argv.indexOf('--dir');
  const dir = dirAt >= 0 ? argv[dirAt + 1] : defaultDir;
  const args = dirAt >= 0 ? argv.filter((_, i) => i !== dirAt && i !== dirAt + 1) : argv;
  const parsed = Args.safeParse(args);
  if (!parsed.success || !dir) {
    const why = parsed.error?.issues.map((i) => `argument ${Number(i.path[0] ?? 0) + 1}: ${i.message}`).join('; ');
    console.error(`${why ? `${why}\n` : ''}${USAGE}`);
    return 2;
  }
  const [node, op, arg, switchName] = parsed.data as [string, string, string?, string?];
  const nodeDir = path.resolve(dir, node);
  try {
    if (op === 'show') console.log(describeHardware(readHardware(nodeDir)));
    else {
      const change: Change = op === 'remove-dimm' ? { op, locator: arg! } : op === 'replace-disk' ? { op, disk: arg! } : { op: 'move-cable', port: arg!, switch: switchName };
      console.log(`${node}: ${changeNode(nodeDir, change)}`);
    }
    return 0;
  } catch (error) {
    console.error(`${node}: ${(error as Error).message}`);
    return 1;
  }
}

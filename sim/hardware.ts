// What a simulated node's board holds: its system and BIOS identity, its DIMM slots, its disks
// and where its NIC is cabled. NODE_DIR/hardware.json keeps it; a technician's change
// (changeHardware: a DIMM pulled, a disk swapped, a cable moved) edits that file, and the
// node's board (board.ts) presents it at the node's next power on, as a server does after a
// repair. The cable is the switch's side: its port advertises the change at once (switch.ts).

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const Dimm = z.object({
  size_mb: z.number().int().positive(),
  type: z.string(),
  speed_mts: z.number().int().positive(),
  manufacturer: z.string(),
  serial: z.string(),
  part: z.string(),
});

const Disk = z.object({
  /** The kernel's name, sda, sdb... */
  name: z.string().regex(/^sd[a-z]$/),
  model: z.string(),
  vendor: z.string(),
  serial: z.string(),
  /** naa.<hex>, as the disk's VPD page 0x83 names it. */
  wwid: z.string().regex(/^naa\.[0-9a-f]{16}$/),
  size_bytes: z.number().int().positive(),
  rotational: z.boolean(),
});

const Cable = z.object({
  switch: z.string().min(1),
  port: z.string().min(1),
});

export const NodeHardware = z.object({
  system: z.object({ manufacturer: z.string(), product: z.string(), serial: z.string(), uuid: z.uuid() }),
  bios: z.object({ vendor: z.string(), version: z.string(), date: z.string() }),
  /** Every slot of the board, in order; null: no module installed. */
  dimm_slots: z.array(z.object({ locator: z.string(), dimm: Dimm.nullable() })),
  disks: z.array(Disk),
  /** The node's eth0 to a switch port; null: unplugged. */
  cable: Cable.nullable(),
});
export type NodeHardware = z.infer<typeof NodeHardware>;

const GB = 1000 ** 3;
const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/** A short stable hex string from what names a part: serials and WWNs stay the same run after run. */
function digest(text: string, chars: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, chars);
}

/** A node as delivered: two sockets' worth of slots with 16 GiB DDR4 modules, an SSD and an HDD, eth0 on port `index` of the rack's leaf. */
export function defaultHardware(prefix: string, net: number, index: number): NodeHardware {
  const id = `${prefix.toUpperCase()}${String(net).padStart(3, '0')}${String(index).padStart(2, '0')}`;
  const dimm = (locator: string) => ({
    locator,
    dimm: { size_mb: 16384, type: 'DDR4', speed_mts: 3200, manufacturer: 'Samsung', serial: digest(`${id}-${locator}`, 8).toUpperCase(), part: 'M393A2K43DB3-CWE' },
  });
  return {
    system: {
      manufacturer: 'Introspector',
      product: 'SimServer 1U',
      serial: `SIM${id}`,
      uuid: `5e1a0000-0000-4000-8000-0000${hex2(net)}${hex2(index)}0000`,
    },
    bios: { vendor: 'Introspector', version: '2.17.1', date: '03/14/2025' },
    dimm_slots: ['A1', 'A2', 'A3', 'A4', 'B1', 'B2', 'B3', 'B4'].map(dimm),
    disks: [
      newDisk({ name: 'sda', model: 'MZ7KH480HAHQ', vendor: 'ATA', size_bytes: 480 * GB, rotational: false }, `${id}-sda`),
      newDisk({ name: 'sdb', model: 'ST4000NM000A', vendor: 'ATA', size_bytes: 4000 * GB, rotational: true }, `${id}-sdb`),
    ],
    cable: { switch: `leaf-${prefix}`, port: `Ethernet1/${index}` },
  };
}

function newDisk(disk: Omit<z.infer<typeof Disk>, 'serial' | 'wwid'>, seed: string): z.infer<typeof Disk> {
  return { ...disk, serial: `S4${digest(seed, 10).toUpperCase()}`, wwid: `naa.5${digest(`wwn-${seed}`, 15)}` };
}

/** The chassis ID a switch of this name advertises: a locally administered MAC derived from its name. */
export function switchChassisId(name: string): string {
  const bytes = digest(`switch-${name}`, 10).match(/../g)!;
  return ['02', ...bytes].join(':');
}

const hardwareFile = (nodeDir: string) => path.join(nodeDir, 'hardware.json');

export function readHardware(nodeDir: string): NodeHardware {
  const file = hardwareFile(nodeDir);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${nodeDir} has no simulated hardware (${file}): is it a node of a running \`npm run sim\` rack?`);
  }
  const parsed = NodeHardware.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** Whole or not at all: a node powering on meanwhile reads the old file or the new one. */
export function writeHardware(nodeDir: string, hardware: NodeHardware): void {
  const file = hardwareFile(nodeDir);
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(hardware, null, 2)}\n`);
  fs.renameSync(`${file}.tmp`, file);
}

export const CHANGES = ['remove-dimm', 'replace-disk', 'move-cable'] as const;
export type Change =
  | { op: 'remove-dimm'; locator: string }
  | { op: 'replace-disk'; disk: string }
  | { op: 'move-cable'; port: string; switch?: string };

/** The hardware after a technician's change, and what they did in words; throws when the change cannot be made. */
export function applyChange(hardware: NodeHardware, change: Change): { hardware: NodeHardware; done: string } {
  const next = structuredClone(hardware);
  switch (change.op) {
    case 'remove-dimm': {
      const slot = next.dimm_slots.find((s) => s.locator === change.locator);
      if (!slot) throw new Error(`no DIMM slot ${change.locator}; slots: ${next.dimm_slots.map((s) => s.locator).join(', ')}`);
      if (!slot.dimm) throw new Error(`DIMM slot ${change.locator} is empty already`);
      const { size_mb, serial } = slot.dimm;
      slot.dimm = null;
      return { hardware: next, done: `removed DIMM ${change.locator} (${size_mb / 1024} GiB, serial ${serial})` };
    }
    case 'replace-disk': {
      const index = next.disks.findIndex((d) => d.name === change.disk);
      if (index < 0) throw new Error(`no disk ${change.disk}; disks: ${next.disks.map((d) => d.name).join(', ')}`);
      const old = next.disks[index];
      const { serial: _serial, wwid: _wwid, ...same } = old;
      next.disks[index] = newDisk(same, `replacing-${old.serial}`);
      return { hardware: next, done: `replaced disk ${change.disk}: serial ${old.serial} -> ${next.disks[index].serial}` };
    }
    case 'move-cable': {
      const to = { switch: change.switch ?? next.cable?.switch ?? 'leaf', port: change.port };
      const from = next.cable ? `${next.cable.switch} ${next.cable.port}` : 'unplugged';
      if (from === `${to.switch} ${to.port}`) throw new Error(`eth0 is on ${from} already`);
      next.cable = to;
      return { hardware: next, done: `moved the cable of eth0 from ${from} to ${to.switch} ${to.port}` };
    }
  }
}

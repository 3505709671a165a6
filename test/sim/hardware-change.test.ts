// A simulated node's own hardware and a technician's changes to it: the node's real agent, booted
// by its PXE firmware in its network namespace, reports the board's DIMMs, disks and identity and
// the LLDP frames its switch port sends; after a DIMM is pulled, a disk swapped and the cable
// moved, it reports the new hardware at the node's next boot, not before.

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Chassis } from '../../sim/chassis';
import { changeNode } from '../../sim/change';
import { frameToTlvs } from '../../common/lldp-tlv';
import { readHardware, switchChassisId } from '../../sim/hardware';
import { SimRack, type SimNode } from '../../sim/rack';
import { portFrame } from '../../sim/switch';
import { describeWithRack } from './support';

const PORT = 19633;
const NET = 102;
const PREFIX = 'hwc';
const TSX = path.resolve(__dirname, '../../node_modules/.bin/tsx');
const MAIN = path.resolve(__dirname, '../../sim/main.ts');

type Payload = Record<string, any>;

/** The inspector as far as the node sees it: the boot script of an introspection, and the callback the agent posts to. */
function startInspector(): { received: Payload[]; next(): Promise<Payload>; close(): Promise<void> } {
  const received: Payload[] = [];
  let waiting: ((p: Payload) => void) | null = null;
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    if (url.startsWith('/boot/')) {
      const mac = url.slice('/boot/'.length, -'.ipxe'.length).replace(/-/g, ':');
      const base = `http://10.${NET}.1.1:${PORT}`;
      const cmdline = `ipa-inspection-callback-url=${base}/v1/continue ipa-inspection-collectors=default,lldp,dmi-decode ipa-lldp-timeout=20 BOOTIF=01-${mac.replace(/:/g, '-')}`;
      res.end(`#!ipxe\nkernel ${base}/ramdisk/vmlinuz ${cmdline}\nboot\n`);
    } else if (url === '/v1/continue' && req.method === 'POST') {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const payload = JSON.parse(body);
        received.push(payload);
        waiting?.(payload);
        waiting = null;
        res.setHeader('content-type', 'application/json');
        res.end('{"uuid":"00000000-0000-4000-8000-000000000001"}');
      });
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  server.listen(PORT, '0.0.0.0');
  return {
    received,
    next: () => new Promise((resolve) => (waiting = resolve)),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Power on with a PXE override: the node's firmware boots the agent; resolves to what it posted. */
async function introspect(node: SimNode, inspector: ReturnType<typeof startInspector>): Promise<Payload> {
  const chassis = new Chassis(node.dir);
  const posted = inspector.next();
  await chassis.bootOverride('pxe', 'once');
  await chassis.power('on');
  const payload = await posted;
  await chassis.power('off');
  return payload;
}

const installed = (data: Payload) => (data.dmi.memory.devices as Payload[]).filter((d) => d.Size !== 'No Module Installed').map((d) => d.Locator);
const lldpOf = (data: Payload) => data.lldp_raw.eth0 as [number, string][];
const hex = (s: string) => Buffer.from(s).toString('hex');

function sim(...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) =>
    execFile(TSX, [MAIN, 'change', ...args], { timeout: 60000 }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, out: `${stdout}${stderr}` })),
  );
}

describeWithRack('simulated hardware and its changes', () => {
  let dir: string;
  let rack: SimRack;
  let node: SimNode;
  let inspector: ReturnType<typeof startInspector>;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hwc-'));
    inspector = startInspector();
    rack = await SimRack.start({ dir, count: 1, prefix: PREFIX, net: NET, inspectorPort: PORT, boards: true, powerDelaySeconds: 0, lldpIntervalSeconds: 0.5 });
    node = rack.nodes[0];
  }, 120000);

  afterAll(async () => {
    await rack?.stop();
    await inspector?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the agent reports the board, then the changed board at the next boot', async () => {
    expect(node.board).toBe(true);
    const before = await introspect(node, inspector);
    const delivered = readHardware(node.dir);
    expect(before.inventory.system_vendor).toMatchObject({ serial_number: delivered.system.serial, manufacturer: 'Introspector' });
    expect(before.inventory.memory.physical_mb).toBe(8 * 16384);
    expect(before.inventory.memory.total).toBe((8 * 16384 - 512) * 1024 * 1024);
    expect(installed(before)).toEqual(['A1', 'A2', 'A3', 'A4', 'B1', 'B2', 'B3', 'B4']);
    expect(before.inventory.disks.map((d: Payload) => [d.name, d.serial, d.wwn, d.size, d.rotational])).toEqual(
      delivered.disks.map((d) => [`/dev/${d.name}`, d.serial, `0x${d.wwid.slice(4)}`, d.size_bytes, d.rotational]),
    );
    expect(lldpOf(before).slice(0, 2)).toEqual([
      [1, `04${switchChassisId(`leaf-${PREFIX}`).replace(/:/g, '')}`],
      [2, `05${hex('Ethernet1/1')}`],
    ]);

    expect(changeNode(node.dir, { op: 'remove-dimm', locator: 'B1' })).toMatch(/^removed DIMM B1 \(16 GiB, serial \w+\)$/);
    expect(changeNode(node.dir, { op: 'replace-disk', disk: 'sdb' })).toMatch(/^replaced disk sdb: serial \w+ -> \w+$/);
    expect(changeNode(node.dir, { op: 'move-cable', port: 'Ethernet1/9', switch: 'leaf-b' })).toBe(`moved the cable of eth0 from leaf-${PREFIX} Ethernet1/1 to leaf-b Ethernet1/9`);
    // Powered off, the board is what the last boot found: the changes wait for the next power on.
    expect(fs.readFileSync(path.join(node.dir, 'board/dmi/17.txt'), 'utf8')).not.toMatch(/No Module Installed/);

    const after = await introspect(node, inspector);
    expect(installed(after)).toEqual(['A1', 'A2', 'A3', 'A4', 'B2', 'B3', 'B4']);
    expect(after.inventory.memory.physical_mb).toBe(7 * 16384);
    const [sda, sdb] = after.inventory.disks as Payload[];
    expect(sda.serial).toBe(before.inventory.disks[0].serial);
    expect(sdb.serial).toBe(readHardware(node.dir).disks[1].serial);
    expect(sdb.serial).not.toBe(before.inventory.disks[1].serial);
    expect(sdb.wwn).not.toBe(before.inventory.disks[1].wwn);
    expect(sdb.size).toBe(before.inventory.disks[1].size);
    expect(lldpOf(after).slice(0, 2)).toEqual([
      [1, `04${switchChassisId('leaf-b').replace(/:/g, '')}`],
      [2, `05${hex('Ethernet1/9')}`],
    ]);
  }, 180000);

  test('a switch port sends a well-formed LLDP frame, none once unplugged', () => {
    const frame = Uint8Array.from(Buffer.from(fs.readFileSync(path.join(node.dir, 'switch-port.hex'), 'utf8'), 'hex'));
    expect(frameToTlvs(frame)).toEqual([
      [1, `04${switchChassisId('leaf-b').replace(/:/g, '')}`],
      [2, `05${hex('Ethernet1/9')}`],
      [3, '0078'],
      [4, hex('Ethernet1/9 of leaf-b')],
      [5, hex('leaf-b')],
      [0, ''],
    ]);
    expect(portFrame(null)).toBe('');
  });

  test('npm run sim -- change: what it did, or why it cannot', async () => {
    const name = path.basename(node.dir);
    expect(await sim(name, 'remove-dimm', 'A2', '--dir', dir)).toEqual({ code: 0, out: expect.stringMatching(new RegExp(`^${name}: removed DIMM A2 `)) });
    expect(await sim(name, 'remove-dimm', 'A2', '--dir', dir)).toEqual({ code: 1, out: `${name}: DIMM slot A2 is empty already\n` });
    expect(await sim(name, 'replace-disk', 'sdz', '--dir', dir)).toEqual({ code: 1, out: `${name}: no disk sdz; disks: sda, sdb\n` });
    expect(await sim(name, 'move-cable', 'Ethernet1/3', 'spine-1', '--dir', dir)).toEqual({ code: 0, out: `${name}: moved the cable of eth0 from leaf-b Ethernet1/9 to spine-1 Ethernet1/3\n` });
    // The switch's side changes at once: its port sends the new frame from now on.
    expect(fs.readFileSync(path.join(node.dir, 'switch-port.hex'), 'utf8')).toBe(portFrame({ switch: 'spine-1', port: 'Ethernet1/3' }));
    expect((await sim(name, 'show', '--dir', dir)).out).toMatch(/^memory {3}96 GiB: A1 16 GiB, A2 empty, A3 16 GiB, A4 16 GiB, B1 empty,/m);
    const bad = await sim(name, 'remove-dimm', 'B1;rm', '--dir', dir);
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/^argument 3: letters, digits/);
    expect((await sim('sim-node-77', 'show', '--dir', dir)).out).toMatch(/has no simulated hardware/);
  }, 120000);
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SimNode } from '../../sim/rack';
import { enrollSimNode, startStackWithRack, type StackWithRack } from '../support/rack';
import { http, introspectionEnded, type Stack } from '../support/stack';

// ironic-inspector's optional hooks and settings through the real processing path: a simulated
// node's agent reports this machine, physnet_cidr_map, raid_device and accelerators run with a
// CPU flag map of our own and overwrite_existing=false.

const NET = 93;
// A PCI device this machine has, declared an accelerator.
const pciBus = fs.readdirSync('/sys/bus/pci/devices')[0];
const pciId = (file: string) => fs.readFileSync(`/sys/bus/pci/devices/${pciBus}/${file}`, 'utf8').trim().replace(/^0x/, '');
// A CPU flag this machine has, mapped to a capability of our own.
const cpuFlag = (/^flags\s*:\s*(\S+)/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8')) ?? [])[1]!;

let env: StackWithRack;
let stack: Stack;
let node: SimNode;
let uuid: string;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hooks-parity-'));
  const accelerators = path.join(dir, 'accelerators.json');
  fs.writeFileSync(accelerators, JSON.stringify({ pci_devices: [{ vendor_id: pciId('vendor'), device_id: pciId('device'), type: 'TEST', device_info: 'this host' }] }));
  env = await startStackWithRack(
    19363,
    {
      INTROSPECTION_TIMEOUT: '60',
      PROCESSING_HOOKS: 'ramdisk_error,raid_device,root_disk_selection,scheduler,validate_interfaces,capabilities,physnet_cidr_map,accelerators',
      PROCESSING_PHYSNET_CIDR_MAP: `192.0.2.0/24:elsewhere,10.${NET}.0.0/16:physnet_sim`,
      PROCESSING_ACCELERATORS_FILE: accelerators,
      PROCESSING_CPU_FLAGS: `${cpuFlag}:cpu_parity`,
      PROCESSING_OVERWRITE_EXISTING: 'false',
    },
    { count: 1, prefix: 'hpar', net: NET },
  );
  stack = env.stack;
  node = env.rack.nodes[0];
}, 180000);

afterAll(async () => {
  await env?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const nodeShown = async () => (await http('GET', `${stack.nodeUrl}/v1/nodes/${uuid}`)).body;
const portsShown = async () => (await http('GET', `${stack.nodeUrl}/v1/nodes/${uuid}/ports/detail`)).body.ports;
const patchNode = async (ops: unknown[]) => expect((await http('PATCH', `${stack.nodeUrl}/v1/nodes/${uuid}`, ops)).status).toBe(200);

test('first introspection: what the node has stays, the rest is filled; physnet, accelerators, CPU flag map; disk serials remembered', async () => {
  uuid = await enrollSimNode(stack, node);
  await patchNode([
    { op: 'add', path: '/properties/cpus', value: 1 },
    { op: 'add', path: '/properties/capabilities', value: 'boot_mode:legacy,boot_option:local' },
  ]);
  expect((await http('POST', `${stack.inspectorUrl}/v1/introspection/${uuid}`)).status).toBe(202);
  expect(await introspectionEnded(stack, uuid, 90000, 100)).toMatchObject({ state: 'finished', error: null });

  const shown = await nodeShown();
  expect(shown.properties.cpus).toBe(1);
  expect(shown.properties).toMatchObject({ memory_mb: expect.any(Number), cpu_arch: expect.any(String), local_gb: expect.any(Number) });
  expect(shown.properties.capabilities).toBe('boot_mode:legacy,boot_option:local,cpu_parity:true');
  expect(shown.properties.accelerators).toEqual(
    expect.arrayContaining([{ vendor_id: pciId('vendor'), device_id: pciId('device'), type: 'TEST', device_info: 'this host', pci_address: pciBus }]),
  );
  const serials = (await http('GET', `${stack.inspectorUrl}/v1/introspection/${uuid}/data`)).body.inventory.disks
    .map((d: { serial?: string }) => d.serial)
    .filter(Boolean);
  expect(serials.length).toBeGreaterThan(0); // this host's disks have serials: raid_device has something to remember
  expect(shown.extra.block_devices).toEqual({ serials });
  expect(shown.properties.root_device).toBeUndefined();

  const ports = await portsShown();
  expect(ports.map((p: any) => [p.address, p.pxe_enabled, p.physical_network])).toEqual([[node.mac, true, 'physnet_sim']]);
});

test('after a "RAID creation", reprocessing learns the root device and forgets the serials; a port’s own physnet stays', async () => {
  const [first, ...others] = (await nodeShown()).extra.block_devices.serials as string[];
  // as if `first` were the RAID volume created since: the saved list did not have it
  await patchNode([{ op: 'replace', path: '/extra/block_devices', value: { serials: [...others, 'GONE-DISK'] } }]);
  const [port] = await portsShown();
  expect((await http('PATCH', `${stack.nodeUrl}/v1/ports/${port.uuid}`, [{ op: 'replace', path: '/physical_network', value: 'mine' }])).status).toBe(200);

  expect((await http('POST', `${stack.inspectorUrl}/v1/introspection/${uuid}/data/unprocessed`)).status).toBe(202);
  expect(await introspectionEnded(stack, uuid, 90000, 100)).toMatchObject({ state: 'finished', error: null });

  const shown = await nodeShown();
  expect(shown.properties.root_device).toEqual({ serial: first });
  expect(shown.extra).not.toHaveProperty('block_devices');
  const data = (await http('GET', `${stack.inspectorUrl}/v1/introspection/${uuid}/data`)).body;
  expect(data.root_disk.serial).toBe(first); // root_disk_selection used the hint raid_device set in the same run
  expect((await portsShown()).map((p: any) => p.physical_network)).toEqual(['mine']);
});

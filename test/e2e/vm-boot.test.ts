import fs from 'node:fs';
import path from 'node:path';
import type { SimRack } from '../../sim/rack';
import { ensureVmPrerequisites, qemuProcessesUsing, RAMDISK_DIR } from '../support/ramdisk';
import { enrollSimNode, startStackWithRack, type StackWithRack } from '../support/rack';
import { http, introspectionEnded, waitFor, type Stack } from '../support/stack';

// A real virtual server introspected through the real boot path: its BMC is an ipmi_sim, and
// what its chassis boots on a PXE boot is a qemu VM (sim/vm.ts) whose iPXE ROM gets
// /boot.ipxe from qemu's DHCP, chains to the inspector's script for its MAC, fetches the
// kernel and initramfs from the API, and whose ramdisk's agent calls back with the run's token.

let env: StackWithRack;
let stack: Stack;
let rack: SimRack;

beforeAll(async () => {
  ensureVmPrerequisites();
  env = await startStackWithRack(
    18033,
    { INTROSPECTION_TIMEOUT: '300', INTROSPECTION_BOOT_TIMEOUT: '240', RAMDISK_DIR },
    { count: 1, prefix: 'vmb', net: 44, vms: [1], powerDelaySeconds: 1 },
  );
  ({ stack, rack } = env);
}, 30 * 60_000);

afterAll(() => env?.stop());

test('a virtual server network-boots the ramdisk and is introspected', async () => {
  const node = rack.nodes[0];
  const vm = node.vm!;
  const disk = path.join(node.dir, 'disk.img');
  const uuid = await enrollSimNode(stack, node, { port: true });

  const started = await http('POST', `${stack.inspectorUrl}/v1/introspection/${node.name}`);
  expect(started.status).toBe(202);
  // The chassis starts the VM at power-on.
  await waitFor('the VM to start', async () => (qemuProcessesUsing(disk).length > 0 ? true : undefined), 60_000);

  const status = await introspectionEnded(stack, node.name, 240_000, 500);
  const vmConsole = fs.readFileSync(path.join(node.dir, 'agent.log'), 'utf8');
  if (status.state !== 'finished') process.stderr.write(`VM console tail:\n${vmConsole.slice(-4000)}\n`);
  expect(status).toMatchObject({ uuid, state: 'finished', finished: true, error: null });
  // It went the iPXE way: the boot script for its MAC, then the kernel and initramfs over HTTP.
  expect(vmConsole).toContain(`/boot.ipxe... ok`);
  // (Under the node's MAC; a slow download shows its progress before the "ok".)
  expect(vmConsole).toMatch(/\/ramdisk\/[0-9a-f-]+\/initramfs\.\.\.[ \d%\x08]*ok/);
  // Each reached the run (agent_started too once the ramdisk carries an agent that reports it).
  expect(status.boot_phases.map((p: { phase: string }) => p.phase)).toEqual(
    expect.arrayContaining(['powered_on', 'script_fetched', 'kernel_fetched', 'ramdisk_fetched', 'data_delivered']),
  );

  const shown = await http('GET', `${stack.nodeUrl}/v1/nodes/${uuid}`);
  expect(shown.body.properties).toMatchObject({ cpus: 1 });
  expect(shown.body.properties.memory_mb).toBeGreaterThan(500);
  expect(shown.body.properties.local_gb).toBeGreaterThan(0);
  const ports = await http('GET', `${stack.nodeUrl}/v1/ports?node_uuid=${uuid}`);
  expect(ports.body.ports.map((p: any) => p.address)).toEqual([node.mac]);

  const data = await http('GET', `${stack.inspectorUrl}/v1/introspection/${uuid}/data`);
  expect(data.status).toBe(200);
  const inventory = data.body.inventory;
  expect(inventory.system_vendor).toMatchObject({ manufacturer: vm.manufacturer, product_name: vm.product, serial_number: vm.serial });
  expect(inventory.disks.map((d: any) => d.serial)).toContain(vm.diskSerial);
  expect(inventory.interfaces.map((i: any) => i.mac_address)).toContain(node.mac);

  // Powered off at the end, and the VM is gone (it powered itself off, or power off killed it).
  await waitFor('the VM to be gone', async () => (qemuProcessesUsing(disk).length === 0 ? true : undefined), 15_000);
  expect(rack.powerState(node)).toBe('off');
  expect(rack.agentRunning(node)).toBe(false);
}, 300_000);

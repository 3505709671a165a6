import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { SimNode, SimRack } from '../../sim/rack';
import { ensureVmPrerequisites, qemuProcessesUsing, RAMDISK_DIR } from '../support/ramdisk';
import { startStackWithRack, type StackWithRack } from '../support/rack';
import { http, introspectionEnded, waitFor, type Stack } from '../support/stack';

// A real virtual server nobody enrolled is discovered: its operator sets it to PXE boot and
// powers it on through its BMC, it boots the ramdisk through iPXE, and its agent, which reads its
// BMC's address through the VM's IPMI system interface, calls back without a token. Discovery
// enrolls it; a discovery rule gives it its BMC credentials, with which `manage` then verifies it.

let env: StackWithRack;
let stack: Stack;
let rack: SimRack;

beforeAll(async () => {
  ensureVmPrerequisites();
  env = await startStackWithRack(
    18433,
    { DISCOVERY_ENABLED: 'true', RAMDISK_DIR },
    { count: 1, prefix: 'dsc', net: 48, vms: [1], powerDelaySeconds: 1 },
  );
  ({ stack, rack } = env);
}, 30 * 60_000);

afterAll(() => env?.stop());

/** The operator's ipmitool, over the network to the server's BMC. */
function ipmitool(node: SimNode, ...args: string[]): string {
  return execFileSync(
    'ipmitool',
    ['-I', 'lanplus', '-H', node.bmcAddress, '-p', String(node.bmcPort), '-U', node.username, '-E', '-C', '3', ...args],
    { env: { ...process.env, IPMI_PASSWORD: node.password }, encoding: 'utf8' },
  );
}

test('a virtual server nobody enrolled, powered on with PXE through its BMC, is discovered', async () => {
  const node = rack.nodes[0];
  const vm = node.vm!;
  const rule = await http('POST', `${stack.inspectorUrl}/v1/rules`, {
    description: 'BMC credentials of discovered servers',
    conditions: [{ op: 'eq', field: 'node://extra.auto_discovered', value: true }],
    actions: [
      { action: 'set-attribute', path: '/driver_info/ipmi_username', value: node.username },
      { action: 'set-attribute', path: '/driver_info/ipmi_password', value: node.password },
    ],
  });
  expect(rule.status).toBe(201);

  ipmitool(node, 'chassis', 'bootdev', 'pxe');
  expect(ipmitool(node, 'chassis', 'bootparam', 'get', '5')).toMatch(/Force PXE/);
  ipmitool(node, 'power', 'on');

  const port = await waitFor(
    `a node with ${node.mac} as its port`,
    async () => (await http('GET', `${stack.nodeUrl}/v1/ports/detail?address=${node.mac}`)).body.ports[0],
    240_000,
    1000,
  );
  const uuid: string = port.node_uuid;
  const status = await introspectionEnded(stack, uuid, 60_000, 500);
  if (status.state !== 'finished') process.stderr.write(`VM console tail:\n${fs.readFileSync(path.join(node.dir, 'agent.log'), 'utf8').slice(-4000)}\n`);
  expect(status).toMatchObject({ state: 'finished', error: null });

  const shown = (await http('GET', `${stack.nodeUrl}/v1/nodes/${uuid}`)).body;
  expect(shown).toMatchObject({
    provision_state: 'enroll',
    driver: 'ipmi',
    extra: { auto_discovered: true },
    // Read by the agent inside the VM, from the BMC, through the VM's KCS interface.
    driver_info: { ipmi_address: node.bmcAddress, ipmi_username: node.username, ipmi_password: '******' },
  });
  expect(shown.properties.memory_mb).toBeGreaterThan(500);
  const data = (await http('GET', `${stack.inspectorUrl}/v1/introspection/${uuid}/data`)).body;
  expect(data.inventory.system_vendor).toMatchObject({ serial_number: vm.serial, manufacturer: vm.manufacturer });
  expect(data.inventory.bmc_address).toBe(node.bmcAddress);
  expect(data.auto_discovered).toBe(true);
  expect((await http('GET', `${stack.nodeUrl}/v1/nodes`)).body.nodes).toHaveLength(1);

  // No BMC command came from discovery: the ramdisk powered the VM off itself. The VM's wire to
  // its BMC carried no power command either: the chassis started it once, at the power on.
  await waitFor('the VM to power itself off', async () => (qemuProcessesUsing(path.join(node.dir, 'disk.img')).length === 0 ? true : undefined), 60_000);
  const chassisLog = fs.readFileSync(path.join(node.dir, 'chassis.log'), 'utf8');
  expect(chassisLog.match(/firmware started/g)).toHaveLength(1);
  expect(chassisLog).not.toMatch(/stopped what the node ran|power 0/);

  // The credentials the rule gave it work: manage verifies them against its BMC.
  expect((await http('PUT', `${stack.nodeUrl}/v1/nodes/${uuid}/states/provision`, { target: 'manage' })).status).toBe(202);
  const managed = await waitFor(
    `${uuid} to leave verifying`,
    async () => {
      const states = (await http('GET', `${stack.nodeUrl}/v1/nodes/${uuid}/states`)).body;
      return states.provision_state === 'verifying' ? undefined : states;
    },
    60_000,
  );
  expect(managed).toMatchObject({ provision_state: 'manageable', last_error: null });
}, 420_000);

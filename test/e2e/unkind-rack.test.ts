import fs from 'node:fs';
import path from 'node:path';
import { driverFor, type SimNode, type SimRack } from '../../sim/rack';
import { enrollSimNode, startStackWithRack, type StackWithRack } from '../support/rack';
import { http, waitFor, type Stack } from '../support/stack';
import { basicAuthorization } from '../../cli/credentials';

// A rack as unkind as real ones, introspected in one bulk run: power changes that take 2 s,
// one-time boot overrides, a slow IPMI BMC, a busy one, Redfish BMCs, and a node whose first
// PXE boot starts nothing (so the retry must arm PXE again, or it boots from its disk).

let env: StackWithRack;
let stack: Stack;
let rack: SimRack;

beforeAll(async () => {
  env = await startStackWithRack(
    17933,
    { INTROSPECTION_TIMEOUT: '240' },
    { count: 4, prefix: 'unk', net: 43, powerDelaySeconds: 2, redfish: [2, 4], slow: { 1: 100 }, busy: { 3: 2 }, failBoots: { 4: 1 } },
  );
  ({ stack, rack } = env);
  for (const node of rack.nodes) await enrollSimNode(stack, node, { extra: { rack: 'unkind' } });
}, 180000);

afterAll(() => env?.stop());

const chassisLog = (node: SimNode) => fs.readFileSync(path.join(node.dir, 'chassis.log'), 'utf8');

test('every node is introspected: each boot armed PXE, each power change waited for, the busy BMC retried', async () => {
  const started = await http('POST', `${stack.inspectorUrl}/v1/introspection`, { filters: { rack: 'unkind' }, concurrency: 4, boot_timeout: 20, boot_attempts: 2 });
  expect(started.status).toBe(202);
  const final = await waitFor(
    'the bulk run to end',
    async () => {
      const body = (await http('GET', `${stack.inspectorUrl}/v1/introspection/bulk/${started.body.bulk_id}`)).body;
      return body.state === 'running' ? undefined : body;
    },
    200000,
    500,
  );
  expect(final.nodes.filter((n: any) => n.state !== 'finished')).toEqual([]);
  expect(final).toMatchObject({ state: 'finished', total: 4, finished: 4 });

  for (const node of rack.nodes) {
    const shown = (await http('GET', `${stack.nodeUrl}/v1/nodes/${node.name}`)).body;
    expect([node.name, shown.driver, shown.provision_state, shown.power_state]).toEqual([node.name, driverFor(node).driver, 'manageable', 'power off']);
    expect(shown.properties.cpus).toBeGreaterThan(0);
    expect(rack.powerState(node)).toBe('off');
  }
  // node 4's first PXE boot started nothing; its second boot had PXE armed again and ran the ramdisk
  const retried = chassisLog(rack.nodes[3]);
  expect(retried).toMatch(/boot device pxe \(next boot only\)\n(.*\n)*.*boot failed \(injected\).*\n(.*\n)*.*boot device pxe \(next boot only\)\n(.*\n)*.*firmware started/);
  expect(retried).not.toMatch(/booted from disk/);
  // the one-time overrides were used up by the boots they were set for
  for (const node of rack.nodes.filter((n) => n.bmc === 'redfish')) {
    const { driver_info: info } = driverFor(node);
    const system = await fetch(`${info.redfish_address}/redfish/v1/Systems/${node.systemId}`, {
      headers: { authorization: basicAuthorization(node) },
    });
    expect(((await system.json()) as any).Boot.BootSourceOverrideEnabled).toBe('Disabled');
  }
}, 240000);

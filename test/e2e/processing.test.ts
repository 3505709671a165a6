import fs from 'node:fs';
import path from 'node:path';
import type { SimNode } from '../../sim/rack';
import { enrollSimNode, startStackWithRack, type StackWithRack } from '../support/rack';
import { http, introspectionEnded, waitFor, type Stack } from '../support/stack';

// Processing on the simulated node: hooks fill properties, capabilities and ports,
// rules add traits, and reprocess re-runs it all without rebooting the server.

// A PCI device this machine has, and how many of that kind: counted into capabilities by alias.
const pci = (() => {
  const ids = fs.readdirSync('/sys/bus/pci/devices').map((d) =>
    ['vendor', 'device'].map((f) => fs.readFileSync(`/sys/bus/pci/devices/${d}/${f}`, 'utf8').trim().replace(/^0x/, '')).join(':'),
  );
  const [vendor, device] = ids[0].split(':');
  return { vendor, device, count: ids.filter((id) => id === ids[0]).length };
})();

let env: StackWithRack;
let stack: Stack;
let node: SimNode;
let uuid: string;

beforeAll(async () => {
  env = await startStackWithRack(
    17333,
    { INTROSPECTION_TIMEOUT: '60', PROCESSING_PCI_ALIASES: JSON.stringify([{ vendor_id: pci.vendor, product_id: pci.device, name: 'pci_alias_test' }]) },
    { count: 1, prefix: 'pro', net: 34 },
  );
  stack = env.stack;
  node = env.rack.nodes[0];
}, 180000);

afterAll(() => env?.stop());

const cpuFlags = new Set((/^flags\s*:\s*(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '').split(/\s+/));
const bootMode = fs.existsSync('/sys/firmware/efi') ? 'uefi' : 'bios';

async function finished(ident: string) {
  return introspectionEnded(stack, ident, 90000, 100);
}

test('a malformed rule is rejected with the offending path named', async () => {
  const res = await http('POST', `${stack.inspectorUrl}/v1/rules`, {
    conditions: [{ op: 'greater-ish', field: 'node://properties.memory_mb', value: 1 }],
    actions: [{ action: 'add-trait', name: 'CUSTOM_X' }],
  });
  expect(res.status).toBe(400);
  expect(res.body.error.message).toMatch(/conditions\.0\.op/);
  expect((await http('GET', `${stack.inspectorUrl}/v1/rules`)).body.rules).toEqual([]);
});

test('introspection fills properties, capabilities, ports and rule traits', async () => {
  for (const [trait, memory] of [['CUSTOM_BIG_MEMORY', 1024], ['CUSTOM_ENORMOUS_MEMORY', 1e9]] as const) {
    const rule = await http('POST', `${stack.inspectorUrl}/v1/rules`, {
      description: `${trait} when memory_mb >= ${memory}`,
      conditions: [{ op: 'ge', field: 'node://properties.memory_mb', value: memory }],
      actions: [{ action: 'add-trait', name: trait }],
    });
    expect(rule.status).toBe(201);
  }
  expect((await http('GET', `${stack.inspectorUrl}/v1/rules`)).body.rules).toHaveLength(2);

  // Enrolled without ports: the agent is found by its BMC address, and its NIC becomes a port.
  uuid = await enrollSimNode(stack, node);
  expect((await http('POST', `${stack.inspectorUrl}/v1/introspection/${uuid}`)).status).toBe(202);
  expect(await finished(uuid)).toMatchObject({ state: 'finished', error: null });

  const shown = (await http('GET', `${stack.nodeUrl}/v1/nodes/${uuid}`)).body;
  expect(shown.properties).toMatchObject({ cpu_arch: expect.any(String), cpus: expect.any(Number), memory_mb: expect.any(Number), local_gb: expect.any(Number) });
  const caps = new Map<string, string>(String(shown.properties.capabilities).split(',').map((kv: string) => kv.split(':') as [string, string]));
  expect(caps.get('boot_mode')).toBe(bootMode);
  expect(caps.get('cpu_aes')).toBe(cpuFlags.has('aes') ? 'true' : undefined);
  expect(caps.get('cpu_vt')).toBe(cpuFlags.has('vmx') || cpuFlags.has('svm') ? 'true' : undefined);
  expect(caps.get('cpu_hugepages')).toBe(cpuFlags.has('pse') ? 'true' : undefined);
  expect(caps.get('pci_alias_test')).toBe(String(pci.count));
  expect(shown.traits).toEqual(['CUSTOM_BIG_MEMORY']);

  const ports = (await http('GET', `${stack.nodeUrl}/v1/nodes/${uuid}/ports/detail`)).body.ports;
  expect(ports.map((p: any) => [p.address, p.pxe_enabled])).toEqual([[node.mac, true]]);
});

test('reprocess re-runs hooks and rules on the stored data without a reboot', async () => {
  const powerChanges = () => fs.readFileSync(path.join(node.dir, 'chassis.log'), 'utf8').match(/ power /g)?.length;
  const before = powerChanges();
  const rule = await http('POST', `${stack.inspectorUrl}/v1/rules`, {
    description: 'tag the rack',
    conditions: [{ op: 'eq', field: 'data://inventory.bmc_address', value: node.bmcAddress }],
    actions: [
      { action: 'set-attribute', path: '/extra/rack', value: 'r34' },
      { action: 'set-capability', name: 'rack', value: 'r34' },
    ],
  });
  expect(rule.status).toBe(201);

  expect((await http('POST', `${stack.inspectorUrl}/v1/introspection/${uuid}/data/unprocessed`)).status).toBe(202);
  const status = await finished(uuid);
  expect(status).toMatchObject({ state: 'finished', error: null });
  const shown = (await http('GET', `${stack.nodeUrl}/v1/nodes/${uuid}`)).body;
  expect(shown.extra.rack).toBe('r34');
  expect(shown.properties.capabilities).toMatch(/(^|,)rack:r34(,|$)/);
  expect(shown.properties.capabilities).toMatch(new RegExp(`boot_mode:${bootMode}`));
  expect(shown.provision_state).toBe('manageable');
  expect(powerChanges()).toBe(before);

  // Rules can be read back and removed.
  const rules = (await http('GET', `${stack.inspectorUrl}/v1/rules`)).body.rules;
  expect(rules).toHaveLength(3);
  const one = await http('GET', `${stack.inspectorUrl}/v1/rules/${rule.body.uuid}`);
  expect(one.body.description).toBe('tag the rack');
  expect((await http('DELETE', `${stack.inspectorUrl}/v1/rules/${rule.body.uuid}`)).status).toBe(204);
  expect((await http('GET', `${stack.inspectorUrl}/v1/rules/${rule.body.uuid}`)).status).toBe(404);
  expect((await http('DELETE', `${stack.inspectorUrl}/v1/rules`)).status).toBe(204);
  expect((await http('GET', `${stack.inspectorUrl}/v1/rules`)).body.rules).toEqual([]);
});

test('reprocess of a node with no stored data answers 404', async () => {
  const other = await http('POST', `${stack.nodeUrl}/v1/nodes`, { name: 'never-introspected', driver: 'fake' });
  const res = await http('POST', `${stack.inspectorUrl}/v1/introspection/${other.body.uuid}/data/unprocessed`);
  expect(res.status).toBe(404);
  expect(res.body.error.message).toMatch(/no unprocessed introspection data/);
});

test('an available node is not rebooted into the ramdisk', async () => {
  expect((await http('PUT', `${stack.nodeUrl}/v1/nodes/${uuid}/states/provision`, { target: 'provide' })).status).toBe(202);
  await waitFor('the node to be available', async () => ((await http('GET', `${stack.nodeUrl}/v1/nodes/${uuid}`)).body.provision_state === 'available' ? true : undefined), 10000);
  const res = await http('POST', `${stack.inspectorUrl}/v1/introspection/${uuid}`);
  expect(res.status).toBe(400);
  expect(res.body.error.message).toMatch(/Invalid provision state for introspection: "available"/);
});

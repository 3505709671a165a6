import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { ObjectStore } from '../../activities/storage';
import { Callbacks } from '../../api/callbacks';
import { loadConfig } from '../../common/config';
import { NotFoundError } from '../../common/errors';
import { openRegistry } from '../../nodes';
import { historyTexts } from '../support/histories';
import { http, startStack, waitFor, type Stack } from '../support/stack';

// Discovery through the API: an agent post from a server nobody enrolled, with
// DISCOVERY_ENABLED, enrolls it, and its data is processed as an introspection's, a discovery
// rule giving it BMC credentials that no answer and no history ever shows.

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'agent', 'ipa-payload.json'), 'utf8'));
const SECRET = 'discovered-pw-7f3a';

/** The fixture as posted by a server with its own MACs, BMC address and serial. */
function payload(n: number, bmc: string | null = `192.0.2.${50 + n}`) {
  const data = structuredClone(fixture);
  const mac = (i: number) => `52:54:00:d5:${n.toString(16).padStart(2, '0')}:0${i}`;
  data.inventory.interfaces = data.inventory.interfaces.map((iface: object, i: number) => ({ ...iface, mac_address: mac(i) }));
  data.boot_interface = `01-${mac(0).replace(/:/g, '-')}`;
  data.inventory.bmc_address = bmc;
  data.inventory.system_vendor.serial_number = `DISCOVERED-${n}`;
  return { data, macs: [mac(0), mac(1)] };
}

const post = (body: unknown) => http('POST', `${stack.inspectorUrl}/v1/continue`, body, { auth: null });

let stack: Stack;
const answers: unknown[] = [];
/** GET as the admin, keeping every answer to search for the secret. */
async function get(url: string) {
  const res = await http('GET', url);
  answers.push(res.body);
  return res;
}

beforeAll(async () => {
  stack = await startStack(18453, { DISCOVERY_ENABLED: 'true', INTROSPECTION_TIMEOUT: '60' });
}, 180000);
afterAll(() => stack?.stop());

async function finished(uuid: string) {
  return waitFor(`processing of ${uuid}`, async () => ((await get(`${stack.inspectorUrl}/v1/introspection/${uuid}`)).body.finished ? true : undefined), 60000, 200);
}

test('a discovery rule sets BMC credentials; the rules API shows its password as ******', async () => {
  const rule = {
    description: 'credentials of discovered servers',
    conditions: [{ op: 'eq', field: 'data://auto_discovered', value: true }],
    actions: [
      { action: 'set-attribute', path: '/driver_info/ipmi_username', value: 'admin' },
      { action: 'set-attribute', path: '/driver_info/ipmi_password', value: SECRET },
    ],
  };
  const created = await http('POST', `${stack.inspectorUrl}/v1/rules`, rule);
  expect(created.status).toBe(201);
  answers.push(created.body);
  expect(created.body.actions[1]).toEqual({ action: 'set-attribute', path: '/driver_info/ipmi_password', value: '******' });
  expect((await get(`${stack.inspectorUrl}/v1/rules/${created.body.uuid}`)).body.actions[1].value).toBe('******');
});

test('an unknown server is enrolled in enroll, auto_discovered, its BMC address and MACs recorded, its data processed and stored', async () => {
  const { data, macs } = payload(1);
  const res = await post(data);
  expect(res.status).toBe(200);
  const { uuid } = res.body;
  await finished(uuid);
  expect((await get(`${stack.inspectorUrl}/v1/introspection/${uuid}`)).body).toMatchObject({ state: 'finished', error: null });

  const node = (await get(`${stack.nodeUrl}/v1/nodes/${uuid}`)).body;
  expect(node).toMatchObject({
    provision_state: 'enroll',
    driver: 'ipmi',
    driver_info: { ipmi_address: '192.0.2.51', ipmi_username: 'admin', ipmi_password: '******' },
    extra: { auto_discovered: true },
  });
  expect(node.properties).toMatchObject({ memory_mb: expect.any(Number), cpus: expect.any(Number) });
  expect(node.inspection_finished_at).not.toBeNull();
  const ports = (await get(`${stack.nodeUrl}/v1/ports?node_uuid=${uuid}`)).body.ports;
  expect(ports.map((p: { address: string }) => p.address).sort()).toEqual(macs);

  const processed = (await get(`${stack.inspectorUrl}/v1/introspection/${uuid}/data`)).body;
  expect(processed.inventory.system_vendor.serial_number).toBe('DISCOVERED-1');
  expect(processed.auto_discovered).toBe(true);
  expect((await get(`${stack.inspectorUrl}/v1/introspection/${uuid}/data/unprocessed`)).body.inventory.bmc_address).toBe('192.0.2.51');
  await get(`${stack.inspectorUrl}/v1/introspection`);

  // Posting again: the server is known now, and nothing waits for its data.
  expect((await post(data)).status).toBe(404);
  expect((await get(`${stack.nodeUrl}/v1/nodes`)).body.nodes.filter((n: { uuid: string }) => n.uuid === uuid)).toHaveLength(1);
});

test('racing posts of one new server: one enrolls it, the others are answered as a known server is, and there is one node', async () => {
  const { data, macs } = payload(2);
  const results = await Promise.all(Array.from({ length: 8 }, () => post(data)));
  expect(results.filter((r) => r.status === 200)).toHaveLength(1);
  expect(results.filter((r) => r.status !== 200).map((r) => r.status)).toEqual(Array(7).fill(404));
  const { uuid } = results.find((r) => r.status === 200)!.body;
  const owners = await Promise.all(macs.map(async (mac) => (await get(`${stack.nodeUrl}/v1/ports/detail?address=${mac}`)).body.ports.map((p: { node_uuid: string }) => p.node_uuid)));
  expect(owners.flat()).toEqual([uuid, uuid]);
  await finished(uuid);
});

test('a known node that is not being introspected is not enrolled again: 404, as without discovery', async () => {
  const { data, macs } = payload(3, null);
  const node = await http('POST', `${stack.nodeUrl}/v1/nodes`, { name: 'enrolled-by-hand', driver: 'fake' });
  expect((await http('POST', `${stack.nodeUrl}/v1/ports`, { node_uuid: node.body.uuid, address: macs[1] })).status).toBe(201);
  const before = (await get(`${stack.nodeUrl}/v1/nodes`)).body.nodes.length;
  expect((await post(data)).status).toBe(404);
  expect((await get(`${stack.nodeUrl}/v1/nodes`)).body.nodes).toHaveLength(before);
});

test('a server that reports neither a MAC nor a BMC address is refused with a 400', async () => {
  const { data } = payload(4, null);
  data.inventory.interfaces = [];
  delete data.boot_interface;
  const res = await post(data);
  expect(res.status).toBe(400);
  expect(JSON.stringify(res.body)).toMatch(/neither a MAC nor a BMC address/);
});

test("a discovered server whose data a rule fails stays enrolled, in enroll, with the rule's message as its error", async () => {
  const failing = await http('POST', `${stack.inspectorUrl}/v1/rules`, {
    conditions: [{ op: 'eq', field: 'data://inventory.system_vendor.serial_number', value: 'DISCOVERED-6' }],
    actions: [{ action: 'fail', message: 'serial DISCOVERED-6 is on loan' }],
  });
  expect(failing.status).toBe(201);
  const res = await post(payload(6).data);
  expect(res.status).toBe(200);
  await finished(res.body.uuid);
  expect((await get(`${stack.inspectorUrl}/v1/introspection/${res.body.uuid}`)).body).toMatchObject({ state: 'error', error: expect.stringContaining('serial DISCOVERED-6 is on loan') });
  expect((await get(`${stack.nodeUrl}/v1/nodes/${res.body.uuid}`)).body).toMatchObject({
    provision_state: 'enroll',
    last_error: expect.stringContaining('serial DISCOVERED-6 is on loan'),
  });
  expect((await http('DELETE', `${stack.inspectorUrl}/v1/rules/${failing.body.uuid}`)).status).toBe(204);
});

test('the password the rule set appears in no API answer and no workflow history', async () => {
  expect(answers.length).toBeGreaterThan(10);
  for (const answer of answers) expect(JSON.stringify(answer)).not.toContain(SECRET);
  const histories = await historyTexts(stack.config, `WorkflowType = 'discoverNode'`);
  expect(histories.length).toBeGreaterThanOrEqual(2);
  for (const { text } of histories) expect(text).not.toContain(SECRET);
});

test('discovery off: a server nobody enrolled gets a 404 and nothing is enrolled', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'discovery-off-'));
  const registry = await openRegistry(`sqlite://${path.join(dir, 'nodes.sqlite')}`);
  try {
    const callbacks = new Callbacks({} as Client, registry, {} as ObjectStore, loadConfig({ INTROSPECTOR_DATA_DIR: dir }));
    await expect(callbacks.receive(payload(5).data, undefined)).rejects.toThrow(NotFoundError);
    expect(await registry.listNodes()).toEqual([]);
  } finally {
    await registry.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection, Client } from '@temporalio/client';
import { objectStoreFor } from '../../common/services';
import { objectNames } from '../../activities/storage';
import { ipmiDriverInfo, type SimNode, type SimRack } from '../../sim/rack';
import { historyTexts } from '../support/histories';
import { enrollSimNode, startStackWithRack, type StackWithRack } from '../support/rack';
import { http, waitFor, type Stack } from '../support/stack';

// The walking skeleton end to end: real Temporal, real S3 (versitygw), real IPMI BMCs
// (ipmi_sim, driven by ipmitool), the real agent in each simulated node's network namespace.

const PASSWORD = 'Sim-Secret-42';
let env: StackWithRack;
let stack: Stack;
let rack: SimRack;

beforeAll(async () => {
  env = await startStackWithRack(
    17233,
    { INTROSPECTION_TIMEOUT: '12', CONTINUE_BODY_LIMIT: '1mb' },
    { count: 3, prefix: 'ite', net: 31, password: PASSWORD, failBoots: { 2: 100, 3: 100 } }, // nodes 2, 3: no agent calls back on its own
  );
  ({ stack, rack } = env);
}, 180000);

afterAll(() => env?.stop());

/** Enrolls with the MAC in upper case: the port must come back normalized. */
async function enroll(node: SimNode) {
  const uuid = await enrollSimNode(stack, node);
  const port = await http('POST', `${stack.nodeUrl}/v1/ports`, { node_uuid: uuid, address: node.mac.toUpperCase() });
  expect(port.status).toBe(201);
  expect(port.body.address).toBe(node.mac);
  return uuid;
}

function ipmitool(node: SimNode, ...args: string[]): string {
  return execFileSync(
    'ipmitool',
    ['-I', 'lanplus', '-H', node.bmcAddress, '-p', String(node.bmcPort), '-U', node.username, '-E', '-C', '3', ...args],
    { env: { ...process.env, IPMI_PASSWORD: node.password }, encoding: 'utf8' },
  );
}

async function watchUntilFinished(name: string, timeoutMs: number): Promise<{ states: string[]; status: any }> {
  const states: string[] = [];
  const status = await waitFor(
    `introspection of ${name} to finish`,
    async () => {
      const res = await http('GET', `${stack.inspectorUrl}/v1/introspection/${name}`);
      expect(res.status).toBe(200);
      if (states[states.length - 1] !== res.body.state) states.push(res.body.state);
      return res.body.finished ? res.body : undefined;
    },
    timeoutMs,
    100,
  );
  return { states, status };
}

test('a simulated server is introspected end to end', async () => {
  const node = rack.nodes[0];
  const uuid = await enroll(node);
  expect(ipmitool(node, 'chassis', 'bootparam', 'get', '5')).not.toMatch(/Force PXE/);

  const started = await http('POST', `${stack.inspectorUrl}/v1/introspection/${node.name}`);
  expect(started.status).toBe(202);
  const again = await http('POST', `${stack.inspectorUrl}/v1/introspection/${uuid}`);
  expect(again.status).toBe(409);
  expect(again.body.error.message).toMatch(/already being introspected/);

  const { states, status } = await watchUntilFinished(node.name, 60000);
  expect(status).toMatchObject({ uuid, state: 'finished', finished: true, error: null });
  expect(Date.parse(status.finished_at)).toBeGreaterThanOrEqual(Date.parse(status.started_at));
  expect(status.links[0].href).toMatch(new RegExp(`/v1/introspection/${uuid}$`));
  expect(states).toContain('waiting');
  expect(states.indexOf('waiting')).toBeLessThan(states.indexOf('finished'));

  // The node booted its ramdisk through a one-time PXE override, which that boot used up; it
  // ends powered off with its ramdisk stopped.
  expect(fs.readFileSync(path.join(node.dir, 'chassis.log'), 'utf8')).toMatch(/boot device pxe \(next boot only\)\n(.*\n)*.*firmware started/);
  expect(ipmitool(node, 'chassis', 'bootparam', 'get', '5')).toMatch(/Boot Device Selector : No override/);
  expect(ipmitool(node, 'power', 'status')).toMatch(/Chassis Power is off/);
  expect(rack.agentRunning(node)).toBe(false);

  const shown = await http('GET', `${stack.nodeUrl}/v1/nodes/${uuid}`);
  expect(shown.body.provision_state).toBe('manageable');
  expect(shown.body.power_state).toBe('power off');
  expect(shown.body.driver_info.ipmi_password).toBe('******');
  const props = shown.body.properties;
  expect(props.cpus).toBeGreaterThan(0);
  expect(props.memory_mb).toBeGreaterThan(1000);
  expect(props.local_gb).toBeGreaterThan(0);
  expect(props.cpu_arch).toBe(execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim());

  const store = objectStoreFor(stack.config);
  const raw = (await store.getJson(objectNames.unprocessed(uuid))) as any;
  const processed = (await store.getJson(objectNames.processed(uuid))) as any;
  // The extra-hardware collector's data is stored as its own object, named in node extra.
  const extraHardware = await store.getJson(objectNames.extraHardware(uuid));
  store.destroy();
  expect(Array.isArray(extraHardware) && extraHardware.length).toBeTruthy();
  expect(shown.body.extra.hardware_swift_object).toBe(objectNames.extraHardware(uuid));
  expect(raw.configuration.collectors).toEqual(['default', 'extra-hardware', 'pci-devices', 'numa-topology', 'logs']);
  expect(raw.inventory.interfaces.map((i: any) => i.mac_address)).toContain(node.mac);
  expect(processed.inventory.cpu.count).toBe(props.cpus);
  const data = await http('GET', `${stack.inspectorUrl}/v1/introspection/${uuid}/data`);
  expect(data.body).toEqual(processed);

  // The agent's late or repeated callback finds no run waiting for it.
  const late = await http('POST', `${stack.inspectorUrl}/v1/continue`, raw, { auth: null });
  expect(late.status).toBe(404);
  expect(late.body.error.message).toMatch(/no introspection is waiting/);

  // What it took shows in the metrics, for an authenticated scrape of either API.
  expect((await http('GET', `${stack.nodeUrl}/metrics`, undefined, { auth: null })).status).toBe(401);
  const metrics = await http('GET', `${stack.inspectorUrl}/metrics`);
  expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  expect(metrics.body).toMatch(/^introspector_callbacks_total\{status="200"\} 1$/m);
  expect(metrics.body).toMatch(/^introspector_callbacks_total\{status="404"\} [1-9]/m);
  expect(metrics.body).toMatch(/^introspector_callback_body_bytes_count [2-9]/m);
  expect(metrics.body).toMatch(/^introspector_http_request_duration_seconds_count\{api="inspector",method="POST",route="\/v1\/introspection\/:node",status="202"\} 1$/m);
  expect(metrics.body).toMatch(/^introspector_bmc_command_duration_seconds_count\{driver="ipmi",command="setBootDevice",outcome="ok"\} [1-9]/m);
  expect(metrics.body).toMatch(/^introspector_processing_hook_duration_seconds_count\{hook="ramdisk_error",stage="beforeProcessing"\} [1-9]/m);
  expect(metrics.body).toMatch(/^introspector_introspections_waiting 0$/m);
  const nodeMetrics = await http('GET', `${stack.nodeUrl}/metrics`);
  expect(nodeMetrics.body).toMatch(/^introspector_http_request_duration_seconds_count\{api="ironic",method="GET",route="\/v1\/nodes\/:node",status="200"\} [1-9]/m);
}, 120000);

test('an introspection whose agent never calls back times out and powers the node off', async () => {
  const node = rack.nodes[1];
  const uuid = await enroll(node);
  expect((await http('POST', `${stack.inspectorUrl}/v1/introspection/${uuid}`)).status).toBe(202);
  await waitFor('node 2 to power on', async () => (rack.powerState(node) === 'on' ? true : undefined), 20000);

  const { status } = await watchUntilFinished(uuid, 90000);
  expect(status.state).toBe('error');
  expect(status.error).toMatch(/timeout: no agent called back within \d+ s after 1 boot attempt/);
  expect(ipmitool(node, 'power', 'status')).toMatch(/Chassis Power is off/);
  const shown = await http('GET', `${stack.nodeUrl}/v1/nodes/${uuid}`);
  expect(shown.body.provision_state).toBe('inspect failed');
  expect(shown.body.last_error).toBe(status.error);
}, 120000);

test("a ramdisk's own error ends the introspection with it, and the node powered off", async () => {
  const node = rack.nodes[2];
  const uuid = await enroll(node);
  expect((await http('POST', `${stack.inspectorUrl}/v1/introspection/${uuid}`)).status).toBe(202);
  await waitFor('the node to wait', async () => ((await http('GET', `${stack.inspectorUrl}/v1/introspection/${uuid}`)).body.state === 'waiting' ? true : undefined), 20000);
  // What the agent sends when collection broke: the error and what identifies the machine.
  const res = await http('POST', `${stack.inspectorUrl}/v1/continue`, { error: 'inventory collection failed: no disks', boot_interface: node.mac });
  expect(res.status).toBe(200);
  expect(res.body.uuid).toBe(uuid);
  const { status } = await watchUntilFinished(uuid, 30000);
  expect(status).toMatchObject({ state: 'error', error: 'running processing hooks and rules: hook ramdisk_error: Ramdisk reported error: inventory collection failed: no disks' });
  expect(ipmitool(node, 'power', 'status')).toMatch(/Chassis Power is off/);
});

test('manage checks the BMC in a durable workflow: right credentials make it manageable, a wrong password says so in words', async () => {
  const node = rack.nodes[0];
  const settled = (name: string) =>
    waitFor(`${name} to leave verifying`, async () => {
      const states = (await http('GET', `${stack.nodeUrl}/v1/nodes/${name}/states`)).body;
      return states.provision_state === 'verifying' ? undefined : states;
    }, 60000);
  for (const [name, password] of [['mgmt-good', PASSWORD], ['mgmt-bad', 'Not-The-Password']]) {
    const created = await http('POST', `${stack.nodeUrl}/v1/nodes`, { name, driver: 'ipmi', driver_info: ipmiDriverInfo(node, password) });
    expect(created.status).toBe(201);
    expect((await http('PUT', `${stack.nodeUrl}/v1/nodes/${name}/states/provision`, { target: 'manage' })).status).toBe(202);
  }
  expect(await settled('mgmt-good')).toMatchObject({ provision_state: 'manageable', power_state: expect.stringMatching(/^power (on|off)$/), last_error: null });
  const bad = await settled('mgmt-bad');
  expect(bad.provision_state).toBe('enroll');
  expect(bad.last_error).toMatch(/^Failed to verify the BMC credentials with a power status call: .*the BMC rejected the username or password/);
  expect(bad.last_error).not.toContain('Not-The-Password');
  const connection = await Connection.connect({ address: stack.config.TEMPORAL_ADDRESS });
  const checks = [];
  for await (const e of new Client({ connection }).workflow.list({ query: `WorkflowType = 'verifyBmc'` })) checks.push(e.status.name);
  await connection.close();
  expect(checks).toEqual(['COMPLETED', 'COMPLETED']);
});

test('no BMC password reaches Temporal history', async () => {
  const histories = await historyTexts(stack.config, `WorkflowType IN ('introspectNode', 'verifyBmc')`);
  for (const { workflowId, text } of histories) {
    expect(text).toContain(workflowId.replace(/^(introspection|verify)-/, ''));
    for (const password of [PASSWORD, 'Not-The-Password']) expect(text).not.toContain(password);
  }
  expect(histories).toHaveLength(5);
});

describe('the agent callback rejects what it cannot use', () => {
  test('a body that no waiting run claims is refused before the rest of it is read', async () => {
    const res = await http('POST', `${stack.inspectorUrl}/v1/continue`, { inventory: { cpu: { count: 'four', architecture: 'x86_64' }, memory: {}, interfaces: [] } });
    expect(res.status).toBe(404);
    expect(res.body.error.message).not.toMatch(/cpu/);
  });

  test('malformed JSON answers 400', async () => {
    const res = await http('POST', `${stack.inspectorUrl}/v1/continue`, '{"inventory": ');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/not valid JSON/);
  });

  test('data from an unknown machine answers 404', async () => {
    const res = await http('POST', `${stack.inspectorUrl}/v1/continue`, {
      inventory: { cpu: { count: 1, architecture: 'x86_64' }, memory: { physical_mb: 1024 }, interfaces: [{ name: 'eth0', mac_address: '02:00:00:00:00:99' }] },
    });
    expect(res.status).toBe(404);
    expect(res.body.error.message).toBe('no introspection is waiting for a node with these MACs or BMC address');
  });

  test('a body over the configured limit answers 413', async () => {
    const res = await http('POST', `${stack.inspectorUrl}/v1/continue`, { inventory: {}, logs: 'x'.repeat(1.5 * 1024 * 1024) });
    expect(res.status).toBe(413);
    expect(res.body.error.message).toMatch(/larger than the limit/);
  });

  test("a payload shaped as ironic-python-agent sends it is accepted (then looked up)", async () => {
    const ipa = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'agent', 'ipa-payload.json'), 'utf8'));
    const res = await http('POST', `${stack.inspectorUrl}/v1/continue`, ipa);
    expect(res.status).toBe(404);
    expect(res.body.error.message).toMatch(/^no introspection is waiting/);
  });

  test('an unknown node answers 404 on status and start', async () => {
    expect((await http('GET', `${stack.inspectorUrl}/v1/introspection/no-such-node`)).status).toBe(404);
    expect((await http('POST', `${stack.inspectorUrl}/v1/introspection/no-such-node`)).status).toBe(404);
  });
});

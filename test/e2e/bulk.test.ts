import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { main as cli } from '../../cli/main';
import type { SimRack } from '../../sim/rack';
import { bulkWorkflowId, IntrospectionNodeKey, IntrospectionNodeNameKey } from '../../workflows/definitions';
import { enrollSimNode, startStackWithRack, type StackWithRack } from '../support/rack';
import { http, introspectionEnded, waitFor, type Stack } from '../support/stack';

// A 12-node simulated rack introspected in bulk with concurrency 4, with injected failures:
// node 3's BMC refuses the registered password, node 9's ramdisk never calls back, node 5's
// first boot fails (its second boot works). The bulk continues as new every 5 nodes.

let env: StackWithRack;
let stack: Stack;
let rack: SimRack;

beforeAll(async () => {
  env = await startStackWithRack(
    17433,
    { INTROSPECTION_TIMEOUT: '120', BULK_CONTINUE_AS_NEW_AFTER: '5' },
    { count: 12, prefix: 'blk', net: 35, failBoots: { 5: 1, 9: 1000 } },
  );
  ({ stack, rack } = env);
  for (const node of rack.nodes) {
    await enrollSimNode(stack, node, { password: node.index === 3 ? 'wrong-password' : node.password, extra: { rack: 'r35' } });
  }
}, 180000);

afterAll(() => env?.stop());


const bulkStatus = async (id: string) => (await http('GET', `${stack.inspectorUrl}/v1/introspection/bulk/${id}`)).body;

async function untilDone(id: string, timeoutMs: number) {
  let maxRunning = 0;
  const final = await waitFor(
    `bulk ${id} to end`,
    async () => {
      const body = await bulkStatus(id);
      maxRunning = Math.max(maxRunning, body.running);
      return body.state === 'running' ? undefined : body;
    },
    timeoutMs,
    250,
  );
  return { final, maxRunning };
}

/** The most runs whose [start, end] intervals overlap at one instant. */
function maxOverlap(nodes: { started_at: string; finished_at: string }[]): number {
  const events = nodes.flatMap((n) => [
    [Date.parse(n.started_at), 1],
    [Date.parse(n.finished_at), -1],
  ]);
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let max = 0;
  for (const [, delta] of events) max = Math.max(max, (current += delta));
  return max;
}

test('bad selectors are rejected naming the field', async () => {
  const none = await http('POST', `${stack.inspectorUrl}/v1/introspection`, { concurrency: 4 });
  expect(none.status).toBe(400);
  expect(none.body.error.message).toMatch(/nodes: give exactly one selector/);
  const bad = await http('POST', `${stack.inspectorUrl}/v1/introspection`, { all_manageable: true, concurrency: 0 });
  expect(bad.status).toBe(400);
  expect(bad.body.error.message).toMatch(/concurrency/);
  expect((await http('GET', `${stack.inspectorUrl}/v1/introspection/bulk/no-such-bulk`)).status).toBe(404);
  // Paging and filters are checked, each bad one named.
  for (const [query, message] of [
    ['limit=1001', /^limit: /],
    ['limit=-1', /^limit: /],
    ['marker=rack1', /^marker: must be a node uuid/],
    ['state=waiting,bogus', /^state\.1: /],
    ['colour=red', /colour/],
  ] as const) {
    const res = await http('GET', `${stack.inspectorUrl}/v1/introspection?${query}`);
    expect([res.status, res.body.error.message]).toEqual([400, expect.stringMatching(message)]);
  }
  const unknownMarker = await http('GET', `${stack.inspectorUrl}/v1/introspection?marker=00000000-0000-4000-8000-000000000000`);
  expect([unknownMarker.status, unknownMarker.body.error.message]).toEqual([404, 'Node not found for marker: 00000000-0000-4000-8000-000000000000']);
  expect((await http('GET', `${stack.inspectorUrl}/v1/introspection/bulk?marker=nope`)).body.error.message).toMatch(/^marker: must be a bulk id/);
});

test('a 12-node rack: window of 4, two failures with reasons, a second boot that works', async () => {
  const started = await http('POST', `${stack.inspectorUrl}/v1/introspection`, {
    filters: { rack: 'r35' },
    concurrency: 4,
    boot_timeout: 15,
    boot_attempts: 2,
  });
  expect(started.status).toBe(202);
  const bulkId = started.body.bulk_id;

  const { final, maxRunning } = await untilDone(bulkId, 240000);
  expect(final).toMatchObject({ state: 'finished', total: 12, finished: 10, failed: 2, skipped: 0, pending: 0, running: 0 });
  expect(maxRunning).toBeLessThanOrEqual(4);
  const overlap = maxOverlap(final.nodes);
  expect(overlap).toBeLessThanOrEqual(4);
  expect(overlap).toBeGreaterThanOrEqual(2);

  const byName = new Map<string, any>(final.nodes.map((n: any) => [n.name, n]));
  const name = (i: number) => rack.nodes[i - 1].name;
  expect(byName.get(name(3))).toMatchObject({ state: 'failed', error: expect.stringMatching(/ipmitool .*RAKP 2 HMAC is invalid/) });
  expect(byName.get(name(9))).toMatchObject({ state: 'failed', error: expect.stringMatching(/no agent called back .* after 2 boot attempt\(s\); the last boot stopped after power-on accepted at \S+: PXE never reached us/) });
  expect(byName.get(name(5)).state).toBe('finished');
  expect(fs.readFileSync(path.join(rack.nodes[4].dir, 'chassis.log'), 'utf8')).toMatch(/boot failed \(injected\)[\s\S]*firmware started/);

  for (const node of rack.nodes) {
    expect(rack.powerState(node)).toBe('off');
    const shown = (await http('GET', `${stack.nodeUrl}/v1/nodes/${node.name}`)).body;
    expect(shown.provision_state).toBe([3, 9].includes(node.index) ? 'inspect failed' : 'manageable');
    if (shown.provision_state === 'manageable') expect(shown.properties.memory_mb).toBeGreaterThan(0);
  }

  // The per-node runs carry the bulk id, and the bulk continued as new (12 nodes, 5 per run).
  const connection = await Connection.connect({ address: stack.config.TEMPORAL_ADDRESS });
  const client = new Client({ connection });
  const children = [];
  for await (const e of client.workflow.list({ query: `IntrospectionBulk = '${bulkId}' AND WorkflowType = 'introspectNode'` })) children.push(e);
  const runs = [];
  for await (const e of client.workflow.list({ query: `WorkflowId = 'bulk-${bulkId}'` })) runs.push(e);
  // In the Temporal UI's list each run is named by its node, rack and bulk, the bulk by its selection.
  // (Temporal keeps no summary across continue-as-new: the bulk's first run has it.)
  const described = await client.workflow.getHandle(children[0].workflowId).describe();
  const node = rack.nodes.find((n) => described.typedSearchAttributes.get(IntrospectionNodeKey) === byName.get(n.name)?.uuid)!;
  expect(described.typedSearchAttributes.get(IntrospectionNodeNameKey)).toBe(node.name);
  expect(await described.staticSummary()).toBe(`introspect ${node.name} (rack r35, bulk ${bulkId})`);
  const [first] = runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
  expect(await (await client.workflow.getHandle(first.workflowId, first.runId).describe()).staticSummary()).toBe('bulk introspection of rack r35');
  await connection.close();
  expect(children).toHaveLength(12);
  expect(runs.length).toBe(3);
  const listed = await http('GET', `${stack.inspectorUrl}/v1/introspection?bulk=${bulkId}`);
  expect(listed.body.introspection.map((s: any) => s.uuid).sort()).toEqual(children.map((c) => c.workflowId.replace('introspection-', '')).sort());
  expect((await http('GET', `${stack.inspectorUrl}/v1/introspection?bulk=not-an-id`)).body.error.message).toMatch(/^bulk: must be a bulk id/);
}, 300000);

test('the CLI runs a bulk introspection against the real API and exits 1 naming the failure', async () => {
  // as on the host of `npm start`: the CLI finds admin's password in the data dir
  const env = { PATH: process.env.PATH, INTROSPECTOR_DATA_DIR: stack.dataDir };
  const out = { text: '', write(t: string) { this.text += t; return true; } };
  const err = { text: '', write(t: string) { this.text += t; return true; } };
  const [n2, n3] = [rack.nodes[1], rack.nodes[2]];
  const code = await cli(
    ['--inspector-url', stack.inspectorUrl, '--node-url', stack.nodeUrl, 'introspection', 'bulk', 'start', n2.name, n3.name, '--concurrency', '2'],
    { stdout: out, stderr: err, env },
  );
  expect(code).toBe(1);
  expect(out.text).toMatch(/2 nodes: 1 finished, 1 failed/);
  expect(out.text).toMatch(new RegExp(`${n3.name}.*RAKP 2 HMAC is invalid`));
  const list = { text: '', write(t: string) { this.text += t; return true; } };
  expect(await cli(['--node-url', stack.nodeUrl, '--json', 'node', 'list'], { stdout: list, env })).toBe(0);
  const nodes = JSON.parse(list.text).nodes;
  expect(nodes.find((n: any) => n.name === n2.name).properties.cpus).toBeGreaterThan(0);
}, 120000);

test('a node already being introspected is skipped; aborting a bulk powers its nodes off', async () => {
  const [n9, n10] = [rack.nodes[8], rack.nodes[9]];
  fs.writeFileSync(path.join(n10.dir, 'fail-boots'), '1000');
  expect((await http('POST', `${stack.inspectorUrl}/v1/introspection/${n9.name}`)).status).toBe(202);

  // Node 1 is handed over (available): a bulk run must not reboot it.
  const n1 = rack.nodes[0];
  expect((await http('PUT', `${stack.nodeUrl}/v1/nodes/${n1.name}/states/provision`, { target: 'provide' })).status).toBe(202);
  await waitFor('node 1 to be available', async () => ((await http('GET', `${stack.nodeUrl}/v1/nodes/${n1.name}`)).body.provision_state === 'available' ? true : undefined), 10000);

  const started = await http('POST', `${stack.inspectorUrl}/v1/introspection`, { nodes: [n9.name, n10.name, 'no-such-node', n1.name], concurrency: 2 });
  const bulkId = started.body.bulk_id;
  const row = await waitFor(
    'node 10 to run',
    async () => (await bulkStatus(bulkId)).nodes.find((n: any) => n.name === n10.name && n.state === 'running'),
    30000,
  );
  expect(row.detail).toMatch(/^waiting for agent, run started at /);
  // Its own run says more (one node: one query of its workflow).
  await waitFor(
    'node 10 to be powered on',
    async () => ((await http('GET', `${stack.inspectorUrl}/v1/introspection/${n10.name}`)).body.detail?.startsWith('waiting for agent, boot attempt 1/') ? true : undefined),
    30000,
  );
  expect(rack.powerState(n10)).toBe('on');
  expect((await http('POST', `${stack.inspectorUrl}/v1/introspection/bulk/${bulkId}/abort`)).status).toBe(202);

  const { final } = await untilDone(bulkId, 60000);
  const byName = new Map<string, any>(final.nodes.map((n: any) => [n.name ?? n.uuid, n]));
  expect(final.state).toBe('aborted');
  expect(byName.get(n9.name)).toMatchObject({ state: 'skipped', error: 'already being introspected' });
  expect(byName.get('no-such-node')).toMatchObject({ state: 'skipped', error: 'no such node' });
  expect(byName.get(n1.name)).toMatchObject({ state: 'skipped', error: expect.stringMatching(/^Invalid provision state for introspection: "available"/) });
  expect(final).toMatchObject({ total: 4, skipped: 3, failed: 1 });
  expect(byName.get(n10.name)).toMatchObject({ state: 'failed', error: expect.stringMatching(/Canceled by operator/) });
  expect(rack.powerState(n10)).toBe('off');
  expect(rack.agentRunning(n10)).toBe(false);

  // The single-node run of node 9 was left alone by the bulk; abort it too.
  expect((await http('GET', `${stack.inspectorUrl}/v1/introspection/${n9.name}`)).body.finished).toBe(false);
  expect((await http('POST', `${stack.inspectorUrl}/v1/introspection/${n9.name}/abort`)).status).toBe(202);
  const status = await introspectionEnded(stack, n9.name, 30000);
  expect(status).toMatchObject({ state: 'error', error: expect.stringMatching(/Canceled by operator/) });
  expect(rack.powerState(n9)).toBe('off');
}, 120000);

test('a terminated bulk says so, and leaves its running nodes to finish on their own (abort them, or the bulk, instead)', async () => {
  const n9 = rack.nodes[8]; // its agent never calls back
  const started = await http('POST', `${stack.inspectorUrl}/v1/introspection`, { nodes: [n9.name] });
  const bulkId = started.body.bulk_id;
  await waitFor(
    'node 9 to wait for its agent',
    async () => ((await http('GET', `${stack.inspectorUrl}/v1/introspection/${n9.name}`)).body.detail?.startsWith('waiting for agent') ? true : undefined),
    30000,
  );
  expect(rack.powerState(n9)).toBe('on');
  const connection = await Connection.connect({ address: stack.config.TEMPORAL_ADDRESS });
  await new Client({ connection }).workflow.getHandle(bulkWorkflowId(bulkId)).terminate('operator gave up');
  await connection.close();
  expect(await bulkStatus(bulkId)).toMatchObject({ state: 'error', error: 'its workflow ended terminated', running: 1 });
  // Continuing as new must not touch a bulk's nodes, so nor does its end: the node's run goes on.
  expect((await http('GET', `${stack.inspectorUrl}/v1/introspection/${n9.name}`)).body).toMatchObject({ finished: false, state: 'waiting' });
  expect((await http('POST', `${stack.inspectorUrl}/v1/introspection/${n9.name}/abort`)).status).toBe(202);
  const status = await introspectionEnded(stack, n9.name, 60000);
  expect(status).toMatchObject({ state: 'error', error: expect.stringMatching(/Canceled by operator/) });
  expect(rack.powerState(n9)).toBe('off');
  expect((await http('GET', `${stack.nodeUrl}/v1/nodes/${n9.name}`)).body.provision_state).toBe('inspect failed');
}, 120000);

test('any number of names: 6,000 in one request, selected a page at a time, read back a page at a time', async () => {
  const n2 = rack.nodes[1];
  const ghosts = Array.from({ length: 6000 }, (_, i) => `ghost-${String(i).padStart(4, '0')}`);
  const started = await http('POST', `${stack.inspectorUrl}/v1/introspection`, { nodes: [...ghosts.slice(0, 3000), n2.name, ...ghosts.slice(3000)] });
  expect(started.status).toBe(202);
  const { final } = await untilDone(started.body.bulk_id, 60000);
  expect(final).toMatchObject({ state: 'finished', total: 6001, finished: 1, skipped: 6000, failed: 0, pending: 0 });
  expect(final.nodes).toHaveLength(1000);
  const url = `${stack.inspectorUrl}/v1/introspection/bulk/${started.body.bulk_id}`;
  expect((await http('GET', `${url}?state=finished`)).body.nodes.map((n: any) => n.name)).toEqual([n2.name]);
  const seen: string[] = [];
  for (let marker = ''; ; ) {
    const page = (await http('GET', `${url}?limit=1000${marker ? `&marker=${marker}` : ''}`)).body.nodes;
    if (!page.length) break;
    seen.push(...page.map((n: any) => n.name ?? n.uuid));
    marker = page.at(-1).uuid;
  }
  expect(seen).toEqual([...ghosts.slice(0, 3000), n2.name, ...ghosts.slice(3000)]);
  expect((await http('GET', `${url}?marker=ghost-4999&limit=2`)).body.nodes.map((n: any) => n.uuid)).toEqual(['ghost-5000', 'ghost-5001']);
  expect((await http('GET', `${url}?marker=not-in-this-bulk`)).status).toBe(404);
  // The bulk list shows its counts; a body over the limit is refused before anything is parsed.
  const listed = (await http('GET', `${stack.inspectorUrl}/v1/introspection/bulk?limit=1`)).body.bulks;
  expect(listed).toEqual([expect.objectContaining({ bulk_id: started.body.bulk_id, total: 6001, skipped: 6000 })]);
  const tooBig = await http('POST', `${stack.inspectorUrl}/v1/introspection`, { nodes: Array.from({ length: 70000 }, (_, i) => `a-rather-long-node-name-that-fills-the-body-${i}-${'x'.repeat(200)}`) });
  expect([tooBig.status, tooBig.body.error.message]).toEqual([413, expect.stringMatching(/larger than the limit/)]);
}, 120000);

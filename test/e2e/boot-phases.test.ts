import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { main as cli } from '../../cli/main';
import type { SimNode, SimRack } from '../../sim/rack';
import { parseBootScript } from '../../sim/ipxe';
import { introspectionWorkflowId } from '../../workflows/definitions';
import { enrollSimNode, startStackWithRack, type StackWithRack } from '../support/rack';
import { http, waitFor, type Stack } from '../support/stack';

// How far each boot got, end to end: simulated nodes whose firmware fetches script, kernel and
// ramdisk from the boot service and whose agent reports its start; a node whose PXE never
// happens (its boots fail, injected); a `fake`-driver node whose "firmware" this test plays and
// whose agent never starts. The boot service serves a small stand-in ramdisk.

let env: StackWithRack;
let stack: Stack;
let rack: SimRack;
let client: Client;
let ramdisk: string;
const FAKE_MAC = '02:47:00:00:00:01';
const PXE_NEVER = /PXE never reached us: check DHCP and the provisioning VLAN/;
const NO_AGENT = /ramdisk fetched but no agent: read the console log/;

beforeAll(async () => {
  ramdisk = fs.mkdtempSync(path.join(os.tmpdir(), 'boot-phases-ramdisk-'));
  fs.writeFileSync(path.join(ramdisk, 'vmlinuz'), Buffer.alloc(2 << 20));
  fs.writeFileSync(path.join(ramdisk, 'initramfs'), Buffer.alloc(8 << 20));
  env = await startStackWithRack(
    18333,
    { INTROSPECTION_TIMEOUT: '120', INTROSPECTION_BOOT_TIMEOUT: '15', INTROSPECTION_BOOT_ATTEMPTS: '1', RAMDISK_DIR: ramdisk },
    // Node 2's PXE boots start nothing. A boot delay as on real servers: the BMC confirms the power-on before PXE starts.
    { count: 3, prefix: 'bph', net: 47, failBoots: { 2: 1000 }, bootDelaySeconds: 3 },
  );
  ({ stack, rack } = env);
  client = new Client({ connection: await Connection.connect({ address: stack.config.TEMPORAL_ADDRESS }) });
}, 180000);

afterAll(async () => {
  await client?.connection.close();
  await env?.stop();
  fs.rmSync(ramdisk, { recursive: true, force: true });
});

const status = async (node: string) => (await http('GET', `${stack.inspectorUrl}/v1/introspection/${node}`)).body;

const ended = (node: string, timeoutMs = 60000) =>
  waitFor(
    `the introspection of ${node} to end`,
    async () => {
      const s = await status(node);
      return s.finished ? s : undefined;
    },
    timeoutMs,
  );

async function enroll(node: SimNode, password = node.password): Promise<string> {
  return enrollSimNode(stack, node, { port: true, password });
}

async function enrollFake(): Promise<string> {
  const created = await http('POST', `${stack.nodeUrl}/v1/nodes`, { name: 'bph-fake', driver: 'fake' });
  expect((await http('POST', `${stack.nodeUrl}/v1/ports`, { node_uuid: created.body.uuid, address: FAKE_MAC })).status).toBe(201);
  return created.body.uuid;
}

/** What the fake node's firmware does once powered on: its script, its kernel and its ramdisk, and no agent after that. */
async function bootFakeNodeWithoutAgent(): Promise<void> {
  await waitFor('the fake node powered on', async () => (/^waiting for agent/.test((await status('bph-fake')).detail ?? '') ? true : undefined), 30000);
  const script = parseBootScript(await (await fetch(`${stack.inspectorUrl}/boot/${FAKE_MAC.replace(/:/g, '-')}.ipxe`)).text());
  if (script.boot !== 'ramdisk') throw new Error('the fake node was not told to boot the ramdisk');
  // To the end: a download counts once it has been served whole.
  for (const image of [script.kernel, script.initrd!]) expect((await (await fetch(image)).arrayBuffer()).byteLength).toBeGreaterThan(0);
}

async function runCli(...args: string[]): Promise<{ code: number; out: string }> {
  const out = { text: '', write(t: string) { this.text += t; return true; } };
  const err = { text: '', write(t: string) { this.text += t; return true; } };
  // As on the host of `npm start`: the CLI finds admin's password in the data dir.
  const code = await cli(['--inspector-url', stack.inspectorUrl, '--node-url', stack.nodeUrl, ...args], {
    stdout: out,
    stderr: err,
    env: { PATH: process.env.PATH, INTROSPECTOR_DATA_DIR: stack.dataDir },
  });
  return { code, out: out.text + err.text };
}

async function workflowFailure(uuid: string): Promise<string> {
  const err = await client.workflow.getHandle(introspectionWorkflowId(uuid)).result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause!.message;
}

test('a node that is introspected reaches every phase, in order, each shown while it waits', async () => {
  const node = rack.nodes[0];
  const uuid = await enroll(node);
  expect((await http('POST', `${stack.inspectorUrl}/v1/introspection/${node.name}`)).status).toBe(202);
  const details = new Set<string>();
  const final = await waitFor(
    `the introspection of ${node.name} to end`,
    async () => {
      const s = await status(node.name);
      if (s.detail) details.add(s.detail.replace(/ at \S+$/, ''));
      return s.finished ? s : undefined;
    },
    60000,
    100,
  );

  expect(final).toMatchObject({ uuid, state: 'finished', error: null, boot_phase: 'data_delivered', hint: null });
  expect(final.boot_phases.map((p: { phase: string }) => p.phase)).toEqual([
    'powered_on',
    'script_fetched',
    'kernel_fetched',
    'ramdisk_fetched',
    'agent_started',
    'data_delivered',
  ]);
  const times = final.boot_phases.map((p: { at: string }) => Date.parse(p.at));
  for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1]);
  expect(times[0]).toBeGreaterThanOrEqual(Date.parse(final.started_at));
  expect([...details]).toContain('waiting for agent, boot attempt 1/1: power-on accepted');

  // The start report is anonymous, and only a run's token says whose agent started.
  for (const headers of [{}, { 'X-Agent-Token': 'not-a-token' }] as Record<string, string>[]) {
    const refused = await http('POST', `${stack.inspectorUrl}/v1/continue/started`, undefined, { auth: null, headers });
    expect([refused.status, refused.body.error.message]).toEqual([403, 'the run token is not that of any introspection in progress']);
  }
}, 90000);

test('a node whose PXE never happens, and one whose agent never starts: each times out naming where it stopped and why, in the API, the CLI and the workflow', async () => {
  const noPxe = rack.nodes[1];
  const noPxeUuid = await enroll(noPxe);
  const fakeUuid = await enrollFake();
  for (const name of [noPxe.name, 'bph-fake']) expect((await http('POST', `${stack.inspectorUrl}/v1/introspection/${name}`)).status).toBe(202);
  await bootFakeNodeWithoutAgent();
  // While it waits, the Temporal UI's current details say how far the boot got.
  await waitFor(
    'the UI detail to name the ramdisk',
    async () => {
      const metadata = (await client.workflow.getHandle(introspectionWorkflowId(fakeUuid)).query('__temporal_workflow_metadata')) as { currentDetails?: string };
      return /waiting for agent, boot attempt 1\/1: ramdisk fetched at /.test(metadata.currentDetails ?? '') ? true : undefined;
    },
    10000,
  );

  const [pxe, agent] = [await ended(noPxe.name), await ended('bph-fake')];
  expect(pxe).toMatchObject({ state: 'error', boot_phase: 'powered_on', hint: expect.stringMatching(PXE_NEVER) });
  expect(pxe.error).toMatch(/^timeout: no agent called back within \d+ s after 1 boot attempt\(s\); the last boot stopped after power-on accepted at \S+: PXE never reached us/);
  expect(agent).toMatchObject({ state: 'error', boot_phase: 'ramdisk_fetched', hint: expect.stringMatching(NO_AGENT) });
  expect(agent.boot_phases.map((p: { phase: string }) => p.phase)).toEqual(['powered_on', 'script_fetched', 'kernel_fetched', 'ramdisk_fetched']);
  expect(agent.error).toMatch(/the last boot stopped after ramdisk fetched at \S+: ramdisk fetched but no agent: read the console log/);

  expect(await workflowFailure(noPxeUuid)).toMatch(PXE_NEVER);
  expect(await workflowFailure(fakeUuid)).toMatch(NO_AGENT);

  const shown = await runCli('introspection', 'status', 'bph-fake');
  expect(shown.code).toBe(0);
  expect(shown.out).toMatch(/\nboot_phase:\s+ramdisk fetched\n/);
  expect(shown.out).toMatch(/\nboot_phases:\s+power-on accepted \+\d+s, iPXE script fetched \+\d+s, kernel fetched \+\d+s, ramdisk fetched \+\d+s\n/);
  expect(shown.out).toMatch(/\nhint:\s+ramdisk fetched but no agent: read the console log/);
}, 120000);

test("a bulk run's summary groups its failures by the phase each stopped after", async () => {
  const [good, noPxe, badBmc] = rack.nodes;
  await enroll(badBmc, 'wrong-password');
  const started = await http('POST', `${stack.inspectorUrl}/v1/introspection`, {
    nodes: [good.name, noPxe.name, badBmc.name, 'bph-fake'],
    concurrency: 4,
    boot_timeout: 15,
    boot_attempts: 1,
  });
  expect(started.status).toBe(202);
  await bootFakeNodeWithoutAgent();
  const final = await waitFor(
    'the bulk run to end',
    async () => {
      const body = (await http('GET', `${stack.inspectorUrl}/v1/introspection/bulk/${started.body.bulk_id}`)).body;
      return body.state === 'running' ? undefined : body;
    },
    90000,
    250,
  );

  expect(final).toMatchObject({ state: 'finished', finished: 1, failed: 3, failures_by_phase: { none: 1, powered_on: 1, ramdisk_fetched: 1 } });
  const phaseOf = (name: string) => final.nodes.find((n: { name: string }) => n.name === name)?.boot_phase;
  expect([phaseOf(noPxe.name), phaseOf(badBmc.name), phaseOf('bph-fake')]).toEqual(['powered_on', null, 'ramdisk_fetched']);

  const summary = await runCli('introspection', 'bulk', 'status', started.body.bulk_id);
  const section = summary.out.split('Failed by boot phase (3):\n')[1]?.trimEnd().split('\n') ?? [];
  expect(section.slice(1)).toEqual([
    expect.stringMatching(/^1\s+never powered on\s+-$/),
    expect.stringMatching(/^1\s+power-on accepted\s+PXE never reached us/),
    expect.stringMatching(/^1\s+ramdisk fetched\s+ramdisk fetched but no agent/),
  ]);
}, 150000);

// Records workflow histories for test/workflows/replay.test.ts: real runs of the current
// workflows on the real stack (Temporal dev server, versitygw, API, workers), `fake`-driver
// nodes, this script playing the agents. Run it before changing a workflow, so that the replay
// test then checks that runs started by the old code still replay on the new one.
// Usage: npx tsx scripts/record-histories.ts [prefix] [outDir=test/fixtures/histories] [basePort=27400]
// (prefix names the workflow version recorded, e.g. v2-: files already there stay as they are.)

import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { loadConfig } from '../common/config';
import { fakeAgentPayload } from './fake-agent';
import { connectClient } from '../common/temporal';
import { findTool } from '../common/tools';
import { bulkWorkflowId, introspectionWorkflowId, verificationWorkflowId, type IntrospectNodeInput } from '../workflows/definitions';
import { startStack, type Stack } from './stack';
import { basicAuthorization } from '../cli/credentials';
import { parseBootScript } from '../sim/ipxe';

const prefix = process.argv[2] ?? '';
const outDir = path.resolve(process.argv[3] ?? path.join(__dirname, '..', 'test', 'fixtures', 'histories'));
const basePort = Number(process.argv[4] ?? 27400);
const admin = { username: 'admin', password: randomUUID() };
const mac = (i: number) => `02:00:00:00:01:${i.toString(16).padStart(2, '0')}`;

async function call(method: string, url: string, body?: unknown): Promise<any> {
  const headers = { 'content-type': 'application/json', authorization: basicAuthorization(admin) };
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const payloadFor = (i: number) => fakeAgentPayload(mac(i));

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'introspector-record-'));
  // A stand-in ramdisk: what matters is that the boot service serves it, and to whom.
  const ramdiskDir = path.join(dataDir, 'ramdisk');
  fs.mkdirSync(ramdiskDir);
  for (const file of ['vmlinuz', 'initramfs']) fs.writeFileSync(path.join(ramdiskDir, file), `${file} of the recorder`);
  const config = loadConfig({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    INTROSPECTOR_DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: `127.0.0.1:${basePort}`,
    S3_ENDPOINT: `http://127.0.0.1:${basePort + 10}`,
    TEMPORAL_TASK_QUEUE: 'record',
    INSPECTOR_PORT: '0',
    NODE_API_PORT: '0',
    INTROSPECTOR_ADMIN_PASSWORD: admin.password,
    RAMDISK_DIR: ramdiskDir,
    BULK_CONTINUE_AS_NEW_AFTER: '2',
  });
  const stack: Stack = await startStack(config, { uiPort: 0, quiet: true });
  let client: Client | undefined;
  try {
    client = await connectClient(config);
    const c = client;
    const api = stack.inspectorUrl;
    let nodes = 0;
    const enroll = async () => {
      const i = ++nodes;
      const node = await call('POST', `${stack.nodeUrl}/v1/nodes`, { name: `record-${i}`, driver: 'fake' });
      await call('POST', `${stack.nodeUrl}/v1/ports`, { node_uuid: node.uuid, address: mac(i) });
      return { i, uuid: node.uuid as string };
    };
    const state = async (uuid: string) => (await call('GET', `${api}/v1/introspection/${uuid}`)).state as string;
    const waiting = (uuid: string) => until(`${uuid} waiting`, async () => ((await state(uuid)) === 'waiting' ? true : undefined));
    const closed = (uuid: string) => until(`${uuid} closed`, async () => ((await call('GET', `${api}/v1/introspection/${uuid}`)).finished ? true : undefined));
    // The CLI's JSON, not the SDK's historyToJSON: that one fails ("type must be a Type") when npm
    // installs separate protobufjs 8 copies under @temporalio/common and @temporalio/proto.
    const temporal = findTool('temporal', config.INTROSPECTOR_TOOLS_DIR);
    const save = async (name: string, workflowId: string, runId: string) => {
      const args = ['workflow', 'show', '--address', config.TEMPORAL_ADDRESS, '--workflow-id', workflowId, '--run-id', runId, '--output', 'json'];
      const json = execFileSync(temporal, args, { encoding: 'utf8' });
      const file = path.join(outDir, `${prefix}${name}.json`);
      fs.writeFileSync(file, json.endsWith('\n') ? json : `${json}\n`);
      process.stdout.write(`${file}: ${JSON.parse(json).events.length} events\n`);
    };
    const runIdOf = async (workflowId: string) => (await c.workflow.getHandle(workflowId).describe()).runId;
    const detail = async (uuid: string) => ((await call('GET', `${api}/v1/introspection/${uuid}`)).detail ?? '') as string;

    /** What a node's firmware does once powered on: fetch its script, kernel and ramdisk; answers the run token the script carries. */
    const bootRamdisk = async (i: number) => {
      const script = parseBootScript(await (await fetch(`${api}/boot/${mac(i).replace(/:/g, '-')}.ipxe`)).text());
      if (script.boot !== 'ramdisk') throw new Error(`node ${i} was not told to boot the ramdisk`);
      for (const image of [script.kernel, script.initrd!]) await (await fetch(image)).arrayBuffer();
      return /(?:^|\s)ipa-agent-token=(\S+)/.exec(script.cmdline)![1];
    };
    const detailSays = (uuid: string, phase: string) => until(`${uuid} at ${phase}`, async () => ((await detail(uuid)).includes(`: ${phase} at `) ? true : undefined));

    // Boot phases: the boot service and the agent report how far the boot got, then the data comes.
    const p = await enroll();
    await call('POST', `${api}/v1/introspection/${p.uuid}`);
    await waiting(p.uuid);
    const token = await bootRamdisk(p.i);
    await detailSays(p.uuid, 'ramdisk fetched');
    const startedReport = await fetch(`${api}/v1/continue/started`, { method: 'POST', headers: { 'x-agent-token': token } });
    if (startedReport.status !== 202) throw new Error(`started: ${startedReport.status} ${await startedReport.text()}`);
    await detailSays(p.uuid, 'agent started');
    await call('POST', `${api}/v1/continue`, payloadFor(p.i));
    await closed(p.uuid);
    if ((await state(p.uuid)) !== 'finished') throw new Error(`p: ${await state(p.uuid)}`);
    await save('introspect-node-boot-phases', introspectionWorkflowId(p.uuid), await runIdOf(introspectionWorkflowId(p.uuid)));

    // A ramdisk whose agent never starts: the boot times out, naming the phase it stopped after.
    const q = await enroll();
    const stuckInput: IntrospectNodeInput = { nodeUuid: q.uuid, timeoutSeconds: 60, bootTimeoutSeconds: 3, bootAttempts: 1 };
    const qh = await c.workflow.start('introspectNode', { workflowId: introspectionWorkflowId(q.uuid), taskQueue: config.TEMPORAL_TASK_QUEUE, args: [stuckInput] });
    await until('q booted', async () => (/^waiting for agent/.test(await detail(q.uuid)) ? true : undefined));
    await bootRamdisk(q.i);
    await detailSays(q.uuid, 'ramdisk fetched');
    await qh.result().then(
      () => Promise.reject(new Error('stuck run finished')),
      () => undefined,
    );
    await save('introspect-node-boot-phases-timeout', qh.workflowId, qh.firstExecutionRunId);

    // manage: the BMC check workflow
    const m = await enroll();
    await call('PUT', `${stack.nodeUrl}/v1/nodes/${m.uuid}/states/provision`, { target: 'manage' });
    await until('manageable', async () => ((await call('GET', `${stack.nodeUrl}/v1/nodes/${m.uuid}`)).provision_state === 'manageable' ? true : undefined));
    await save('verify-bmc-finished', verificationWorkflowId(m.uuid), await runIdOf(verificationWorkflowId(m.uuid)));

    // a boot retry: the agent calls back only during the second boot
    const r = await enroll();
    const retryInput: IntrospectNodeInput = { nodeUuid: r.uuid, timeoutSeconds: 600, bootTimeoutSeconds: 2, bootAttempts: 3 };
    const rh = await c.workflow.start('introspectNode', { workflowId: introspectionWorkflowId(r.uuid), taskQueue: config.TEMPORAL_TASK_QUEUE, args: [retryInput] });
    await until('the second boot', async () => (/^waiting for agent, boot attempt 2\/3/.test(await detail(r.uuid)) ? true : undefined));
    await call('POST', `${api}/v1/continue`, payloadFor(r.i));
    await rh.result();
    await save('introspect-node-boot-retry', rh.workflowId, rh.firstExecutionRunId);

    // a. finished, then e. reapplied
    const a = await enroll();
    await call('POST', `${api}/v1/introspection/${a.uuid}`);
    await waiting(a.uuid);
    await call('POST', `${api}/v1/continue`, payloadFor(a.i));
    await closed(a.uuid);
    if ((await state(a.uuid)) !== 'finished') throw new Error(`a: ${await state(a.uuid)}`);
    await save('introspect-node-finished', introspectionWorkflowId(a.uuid), await runIdOf(introspectionWorkflowId(a.uuid)));
    await call('POST', `${api}/v1/introspection/${a.uuid}/data/unprocessed`);
    await closed(a.uuid);
    if ((await state(a.uuid)) !== 'finished') throw new Error(`e: ${await state(a.uuid)}`);
    await save('reapply-node-finished', introspectionWorkflowId(a.uuid), await runIdOf(introspectionWorkflowId(a.uuid)));

    // A server someone else boots (manage_boot=false): no BMC command, its agent's data is awaited.
    const u = await enroll();
    await call('POST', `${api}/v1/introspection/${u.uuid}?manage_boot=false`);
    await waiting(u.uuid);
    await call('POST', `${api}/v1/continue`, { ...payloadFor(u.i), agent_token: await bootRamdisk(u.i) });
    await closed(u.uuid);
    if ((await state(u.uuid)) !== 'finished') throw new Error(`u: ${await state(u.uuid)}`);
    await save('introspect-node-unmanaged-boot', introspectionWorkflowId(u.uuid), await runIdOf(introspectionWorkflowId(u.uuid)));

    // b. aborted while waiting
    const b = await enroll();
    await call('POST', `${api}/v1/introspection/${b.uuid}`);
    await until('b booted', async () => (/^waiting for agent/.test(await detail(b.uuid)) ? true : undefined));
    await call('POST', `${api}/v1/introspection/${b.uuid}/abort`);
    await closed(b.uuid);
    await save('introspect-node-aborted', introspectionWorkflowId(b.uuid), await runIdOf(introspectionWorkflowId(b.uuid)));

    // c. the ramdisk reports its own error
    const cNode = await enroll();
    await call('POST', `${api}/v1/introspection/${cNode.uuid}`);
    await waiting(cNode.uuid);
    await call('POST', `${api}/v1/continue`, { error: 'inventory collection failed: no disks', boot_interface: mac(cNode.i) });
    await closed(cNode.uuid);
    if ((await state(cNode.uuid)) !== 'error') throw new Error(`c: ${await state(cNode.uuid)}`);
    await save('introspect-node-ramdisk-error', introspectionWorkflowId(cNode.uuid), await runIdOf(introspectionWorkflowId(cNode.uuid)));

    // No agent ever calls back: two boot attempts of 1 s, then the timeout error (started
    // directly, as the API takes these timeouts from the configuration).
    const t = await enroll();
    const timeoutInput: IntrospectNodeInput = { nodeUuid: t.uuid, timeoutSeconds: 30, bootTimeoutSeconds: 1, bootAttempts: 2 };
    const th = await c.workflow.start('introspectNode', { workflowId: introspectionWorkflowId(t.uuid), taskQueue: config.TEMPORAL_TASK_QUEUE, args: [timeoutInput] });
    await th.result().then(
      () => Promise.reject(new Error('timeout run finished')),
      () => undefined,
    );
    await save('introspect-node-timeout', th.workflowId, th.firstExecutionRunId);

    // Bulks (the recorder's bulk runs continue as new after 2 starts), agents played as the nodes wait.
    const playAgents = async (pending: Map<string, number>) => {
      for (const [uuid, i] of pending) {
        if ((await state(uuid).catch(() => undefined)) !== 'waiting') continue;
        await call('POST', `${api}/v1/continue`, payloadFor(i));
        pending.delete(uuid);
      }
    };
    const runBulk = async (nodes: { uuid: string; i: number }[]) => {
      const { bulk_id: id } = await call('POST', `${api}/v1/introspection`, { nodes: nodes.map((n) => n.uuid), concurrency: 2 });
      const pending = new Map(nodes.map((n) => [n.uuid, n.i]));
      const final = await until(`bulk ${id} finished`, async () => {
        await playAgents(pending);
        const s = await call('GET', `${api}/v1/introspection/bulk/${id}`);
        return s.state === 'running' ? undefined : s;
      });
      if (final.state !== 'finished' || final.finished !== nodes.length) throw new Error(`bulk: ${JSON.stringify(final)}`);
      return c.workflow.getHandle(bulkWorkflowId(id));
    };

    // d. a bulk of 2 at concurrency 2
    const bulkNodes = [await enroll(), await enroll()];
    const dh = await runBulk(bulkNodes);
    await save('bulk-introspection-finished', dh.workflowId, await runIdOf(dh.workflowId));
    await save('bulk-introspection-child-finished', introspectionWorkflowId(bulkNodes[0].uuid), await runIdOf(introspectionWorkflowId(bulkNodes[0].uuid)));

    // A bulk of 3 that continues as new after 2 starts, its first nodes still running: the first
    // run (ends in ContinuedAsNew) and the run it continued as (which their ends reach).
    const ch = await runBulk([await enroll(), await enroll(), await enroll()]);
    const runs: { runId: string; startTime: Date }[] = [];
    for await (const e of c.workflow.list({ query: `WorkflowId = '${ch.workflowId}'` })) runs.push(e);
    if (runs.length < 2) throw new Error('bulk did not continue as new');
    runs.sort((x, y) => x.startTime.getTime() - y.startTime.getTime());
    await save('bulk-introspection-continued-as-new', ch.workflowId, runs[0].runId);
    await save('bulk-introspection-continued-run', ch.workflowId, runs[1].runId);

    // A bulk of 3 aborted while 2 nodes its first run started wait for their agents: its second run
    // cancels them (they power off) and skips the third.
    const abortNodes = [await enroll(), await enroll(), await enroll()];
    const { bulk_id: abortId } = await call('POST', `${api}/v1/introspection`, { nodes: abortNodes.map((n) => n.uuid), concurrency: 2 });
    for (const n of abortNodes.slice(0, 2)) await until(`${n.uuid} booted`, async () => (/^waiting for agent, boot attempt 1/.test(await detail(n.uuid).catch(() => '')) ? true : undefined));
    await call('POST', `${api}/v1/introspection/bulk/${abortId}/abort`);
    await until('bulk aborted', async () => ((await call('GET', `${api}/v1/introspection/bulk/${abortId}`)).state === 'aborted' ? true : undefined));
    await save('bulk-introspection-aborted', bulkWorkflowId(abortId), await runIdOf(bulkWorkflowId(abortId)));
  } finally {
    await client?.connection.close();
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities';
import { bulkActivities } from '../../activities/bulk';
import { nodeStateActivities } from '../../activities/node-state';
import { loadConfig } from '../../common/config';
import { findTool } from '../../common/tools';
import { openRegistry, type NodeRegistry } from '../../nodes';
import { bulkIntrospection, introspectNode } from '../../workflows';
import { bulkWorkflowId, introspectionWorkflowId, SEARCH_ATTRIBUTE_KEYS, statusQuery, type BulkOptions } from '../../workflows/definitions';
import { nodeRuns } from '../support/node-runs';
import { MockActivities, startWorkers, until, type TimeSkippingWorkers } from '../support/time-skipping';

// bulkIntrospection on a real Temporal dev server (no time skipping: Temporal's Java test server
// stops skipping time for good once a child outlives its parent's run, as every bulk that
// continues as new has them). The registry is real (SQLite in a temp dir) and so are the
// activities that select and record a bulk's nodes; the BMC and processing activities are
// recorders, and the tests play the agents.

const PORT = 19170;
const taskQueue = 'bulk';
const mocks = new MockActivities();
let env: TestWorkflowEnvironment;
let workers: TimeSkippingWorkers;
let dir: string;
let registry: NodeRegistry;
let recording: Record<string, (...args: any[]) => Promise<unknown>>;
const { handle: nodeHandle, deliver, reach, waiting, powerCalls, boots } = nodeRuns(() => env.client, mocks);

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // installed already (another test file in this process)
  }
  const temporal = findTool('temporal', loadConfig({ HOME: process.env.HOME }).INTROSPECTOR_TOOLS_DIR);
  env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporal },
      ip: '127.0.0.1',
      port: PORT,
      searchAttributes: SEARCH_ATTRIBUTE_KEYS,
      extraArgs: ['--http-port', String(PORT + 1), '--metrics-port', String(PORT + 2), '--log-level', 'error'],
    },
  });
  workers = await startWorkers(env, taskQueue, mocks);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'introspector-bulk-'));
  registry = await openRegistry(`sqlite://${path.join(dir, 'nodes.sqlite')}`);
  const deps = { registry, pxeFilter: null } as unknown as ActivityDeps;
  recording = { ...nodeStateActivities(deps), ...bulkActivities(deps) };
}, 120_000);

afterAll(async () => {
  await workers?.shutdown();
  await env?.teardown();
  await registry?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('bulkIntrospection', () => {
  const withRegistry = (overrides: Record<string, (...args: any[]) => Promise<unknown>> = {}) => mocks.reset({ ...recording, ...overrides });

  const options = (over: Partial<BulkOptions> = {}): BulkOptions => ({
    concurrency: 2,
    nodeTimeoutSeconds: 3600,
    bootTimeoutSeconds: 2,
    bootAttempts: 1,
    staggerSeconds: 0,
    continueAsNewAfter: 100,
    ...over,
  });
  /** Manageable `fake` nodes. */
  const enroll = async (...names: string[]) => {
    const nodes = [];
    for (const name of names) {
      const node = await registry.createNode({ name: `${name}-${randomUUID().slice(0, 8)}`, driver: 'fake' });
      await registry.updateNode(node.uuid, () => ({ provision_state: 'manageable' }));
      nodes.push({ uuid: node.uuid, name: node.name! });
    }
    return nodes;
  };
  /** What the API does: the bulk and the names it was given go to the registry, the workflow gets the bulk id. */
  const startBulk = async (names: string[], over: Partial<BulkOptions> = {}) => {
    const bulkId = randomUUID();
    const selector = { named: names.length };
    await registry.bulks.create(bulkId, selector, names);
    const handle = await env.client.workflow.start(bulkIntrospection, { taskQueue, workflowId: bulkWorkflowId(bulkId), args: [{ bulkId, selector, options: options(over) }] });
    return { bulkId, handle };
  };
  const rowsOf = async (bulkId: string) => new Map((await registry.bulks.nodes(bulkId, { limit: 1000 })).map((r) => [r.name ?? r.node_uuid, r]));
  const countsOf = async (bulkId: string) => (await registry.bulks.counts([(await registry.bulks.get(bulkId))!])).get(bulkId);

  /** The histories of every run of a bulk, following its continue-as-new chain. */
  async function runsOf(handle: WorkflowHandleWithFirstExecutionRunId) {
    const runs = [];
    for (let runId: string | undefined = handle.firstExecutionRunId; runId; ) {
      const history = await env.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
      runs.push(history.events ?? []);
      runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    }
    return runs;
  }
  const decode = (payload: { data?: Uint8Array | null } | undefined | null) => JSON.parse(Buffer.from(payload!.data!).toString());

  /**
   * The node runs alive, as the bulk's own histories tell it: started, until reported ended (by
   * the node's signal or, for a child of that run, its close). Returns the most alive at once and
   * how many were alive when each run continued as new.
   */
  function window(runs: Awaited<ReturnType<typeof runsOf>>) {
    const alive = new Set<string>();
    let most = 0;
    const atContinue: number[] = [];
    for (const events of runs) {
      for (const e of events) {
        const started = e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
        if (started) alive.add(started);
        const signal = e.workflowExecutionSignaledEventAttributes;
        if (signal?.signalName === 'bulkNodeEnded') alive.delete(introspectionWorkflowId(decode(signal.input?.payloads?.[0]).nodeUuid));
        const closed =
          e.childWorkflowExecutionCompletedEventAttributes?.workflowExecution?.workflowId ??
          e.childWorkflowExecutionFailedEventAttributes?.workflowExecution?.workflowId ??
          e.startChildWorkflowExecutionFailedEventAttributes?.workflowId;
        if (closed) alive.delete(closed);
        most = Math.max(most, alive.size);
        if (e.workflowExecutionContinuedAsNewEventAttributes) atContinue.push(alive.size);
      }
    }
    return { most, atContinue };
  }

  test('a bulk bigger than a run keeps its window full across continue-as-new; every node is counted once', async () => {
    const [n0, n1, n2, m, n3, n4, n5, n6] = await enroll('n0', 'n1', 'n2', 'm', 'n3', 'n4', 'n5', 'n6');
    await registry.setMaintenance(m.uuid, true, 'a DIMM');
    withRegistry();
    const { bulkId, handle } = await startBulk([n0.name, 'ghost', n1.name, n2.name, m.name, n3.uuid, n4.name, n5.name, n6.name], { concurrency: 3, continueAsNewAfter: 3 });

    // Three nodes wait for their agents: the first run has continued as new without waiting for them.
    for (const n of [n0, n1, n2]) await until(() => waiting(n.uuid), `${n.name} waiting`);
    await until(async () => (await handle.describe()).runId !== handle.firstExecutionRunId, 'the first run continued as new');
    const [first] = await runsOf(handle);
    const carried = decode(first.at(-1)!.workflowExecutionContinuedAsNewEventAttributes!.input!.payloads![0]).carried;
    expect(carried.running.map((r: { uuid: string }) => r.uuid).sort()).toEqual([n0.uuid, n1.uuid, n2.uuid].sort());
    expect(first.some((e) => e.childWorkflowExecutionCompletedEventAttributes || e.childWorkflowExecutionFailedEventAttributes)).toBe(false);
    expect(await countsOf(bulkId)).toMatchObject({ total: 9, running: 3, skipped: 2, pending: 4 });

    // One ends: the next run starts the next node at once, while the first run's other two still run.
    await deliver(n0.uuid, 'data');
    await until(() => waiting(n3.uuid), 'n3 waiting');
    expect(await waiting(n1.uuid)).toBe(true);
    expect(await waiting(n2.uuid)).toBe(true);
    expect((await countsOf(bulkId))?.running).toBe(3);

    // n6 goes into maintenance after it was selected: its run refuses it, untouched.
    await registry.setMaintenance(n6.uuid, true, 'a fan');
    const delivered = new Set([n0.uuid]);
    await until(async () => {
      for (const n of [n1, n2, n3, n4, n5]) {
        if (!delivered.has(n.uuid) && (await waiting(n.uuid))) {
          delivered.add(n.uuid);
          await deliver(n.uuid, 'data');
        }
      }
      return (await env.client.workflow.getHandle(handle.workflowId).describe()).status.name !== 'RUNNING';
    }, 'the bulk to end');
    const result = await handle.result();

    expect(result).toMatchObject({ state: 'finished', total: 9, pending: 0, running: 0, finished: 6, failed: 0, skipped: 3 });
    expect(await countsOf(bulkId)).toEqual({ total: 9, pending: 0, running: 0, finished: 6, failed: 0, skipped: 3 });
    const rows = await rowsOf(bulkId);
    expect(rows.get('ghost')).toMatchObject({ state: 'skipped', error: 'no such node' });
    expect(rows.get(m.name)).toMatchObject({ state: 'skipped', error: expect.stringMatching(/maintenance/) });
    expect(rows.get(n6.name)).toMatchObject({ state: 'skipped', error: expect.stringMatching(/maintenance/) });
    for (const n of [n0, n1, n2, n3, n4, n5]) expect(rows.get(n.name)).toMatchObject({ state: 'finished', error: null });
    expect(boots(m.uuid) + boots(n6.uuid)).toBe(0);
    const runs = await runsOf(handle);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    const { most, atContinue } = window(runs);
    expect(most).toBe(3);
    expect(atContinue[0]).toBe(3);
    // The list of introspections has each node's latest run, with this bulk.
    const listed = await registry.introspections.list({ limit: 100, bulkId });
    expect(listed.map((r) => r.node_uuid).sort()).toEqual([n0, n1, n2, n3, n4, n5, n6].map((n) => n.uuid).sort());
    expect(listed.find((r) => r.node_uuid === n6.uuid)).toMatchObject({ state: 'error', error: expect.stringMatching(/maintenance/) });
  });

  test('abort: the nodes running, started by earlier runs of the bulk, are powered off; the rest are skipped', async () => {
    const nodes = await enroll('a0', 'a1', 'a2', 'a3');
    withRegistry();
    const { bulkId, handle } = await startBulk(nodes.map((n) => n.name), { concurrency: 2, continueAsNewAfter: 1 });
    for (const n of nodes.slice(0, 2)) await until(() => waiting(n.uuid), `${n.name} waiting`);
    await until(async () => (await runsOf(handle)).length === 2, 'the run after the one that started them');
    await env.client.workflow.getHandle(handle.workflowId).cancel();
    const result = await handle.result();

    expect(result).toMatchObject({ state: 'aborted', total: 4, running: 0, finished: 0, failed: 2, skipped: 2 });
    const rows = await rowsOf(bulkId);
    for (const n of nodes.slice(0, 2)) {
      expect(powerCalls(n.uuid)).toEqual(['bootNode', 'powerOffNode']);
      expect(rows.get(n.name)).toMatchObject({ state: 'failed', error: expect.stringMatching(/cancel/i) });
    }
    for (const n of nodes.slice(2)) {
      expect(boots(n.uuid)).toBe(0);
      expect(rows.get(n.name)).toMatchObject({ state: 'skipped', error: 'bulk introspection aborted' });
    }
    expect((await registry.bulks.get(bulkId))?.state).toBe('aborted');
  });

  test('failed nodes are grouped by the phase their last boot stopped after', async () => {
    const [noBmc, noPxe, noAgent, good] = await enroll('no-bmc', 'no-pxe', 'no-agent', 'good');
    withRegistry({
      bootNode: async (uuid: string) => {
        if (uuid === noBmc.uuid) throw ApplicationFailure.nonRetryable('BMC: invalid credentials', 'BmcError');
        if (uuid === noAgent.uuid) await reach(uuid, 'script_fetched', 'kernel_fetched', 'ramdisk_fetched');
        if (uuid === good.uuid) await deliver(uuid, 'data');
      },
    });
    const { bulkId, handle } = await startBulk([noBmc, noPxe, noAgent, good].map((n) => n.name), { concurrency: 4 });

    expect(await handle.result()).toMatchObject({ finished: 1, failed: 3 });
    expect(await registry.bulks.failuresByPhase(bulkId)).toEqual({ none: 1, powered_on: 1, ramdisk_fetched: 1 });
    const rows = await rowsOf(bulkId);
    expect([noBmc, noPxe, noAgent, good].map((n) => rows.get(n.name)?.boot_phase)).toEqual([null, 'powered_on', 'ramdisk_fetched', null]);
    expect(rows.get(noBmc.name)?.error).toMatch(/invalid credentials/);
  });

  test('staggered power-ons: a node starts at least `stagger` after the one before', async () => {
    const nodes = await enroll('s0', 's1', 's2');
    withRegistry({ bootNode: (uuid: string) => deliver(uuid, 'data') });
    const { handle } = await startBulk(nodes.map((n) => n.name), { concurrency: 3, staggerSeconds: 1 });

    expect(await handle.result()).toMatchObject({ total: 3, finished: 3 });
    // The server's start times: the bulk sleeps `stagger` only once the previous start is confirmed
    // (a run's own clock reads when its first task ran, which the server may delay).
    const starts = await Promise.all(nodes.map(async (n) => (await nodeHandle(n.uuid).describe()).startTime.getTime()));
    for (let i = 1; i < starts.length; i++) expect(starts[i] - starts[i - 1]).toBeGreaterThanOrEqual(1000);
  });

  test('a node already being introspected is skipped, its run left alone', async () => {
    const [busy, free] = await enroll('busy', 'free');
    withRegistry({ bootNode: async (uuid: string) => (uuid === free.uuid ? deliver(uuid, 'data') : undefined) });
    const busyRun = await env.client.workflow.start(introspectNode, {
      taskQueue,
      workflowId: introspectionWorkflowId(busy.uuid),
      args: [{ nodeUuid: busy.uuid, timeoutSeconds: 3600, bootTimeoutSeconds: 600, bootAttempts: 1 }],
    });
    await until(() => waiting(busy.uuid), 'busy waiting');
    const { bulkId, handle } = await startBulk([busy.name, free.name]);

    expect(await handle.result()).toMatchObject({ finished: 1, skipped: 1 });
    expect((await rowsOf(bulkId)).get(busy.name)).toMatchObject({ state: 'skipped', error: 'already being introspected' });
    expect((await busyRun.query(statusQuery)).state).toBe('waiting');
    await busyRun.cancel();
    await expect(busyRun.result()).rejects.toThrow();
  });
});


import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bulkIntrospection, introspectNode, verifyBmc } from '../../workflows';
import { NOT_WAITING_YET } from '../../common/api-types';
import type { ReportedPhase } from '../../common/boot-phases';
import {
  bootPhaseSignal,
  bulkWorkflowId,
  deliverDataUpdate,
  introspectionWorkflowId,
  NODE_REFUSED,
  statusQuery,
  verificationWorkflowId,
  type BulkOptions,
  type IntrospectNodeInput,
} from '../../workflows/definitions';
import { createTimeSkippingEnv, MockActivities, SETUP_TIMEOUT_MS, startWorkers, until, type TimeSkippingWorkers } from '../support/time-skipping';

// The workflows on Temporal's time-skipping test server: boot timeouts of minutes and overall
// timeouts of an hour pass at once while a result is awaited. Activities are recorders (see
// MockActivities); the tests check behaviour (what happened, the order where it matters, the
// final state, error text), not the exact activity sequence.

const taskQueue = 'time-skipping';
const mocks = new MockActivities();
let env: TestWorkflowEnvironment;
let workers: TimeSkippingWorkers;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  workers = await startWorkers(env, taskQueue, mocks);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await workers?.shutdown();
  await env?.teardown();
});

beforeEach(() => mocks.reset());

const input = (over: Partial<IntrospectNodeInput> = {}): IntrospectNodeInput => ({
  nodeUuid: randomUUID(),
  timeoutSeconds: 3600,
  bootTimeoutSeconds: 600,
  bootAttempts: 2,
  ...over,
});

const start = (args: IntrospectNodeInput) =>
  env.client.workflow.start(introspectNode, { taskQueue, workflowId: introspectionWorkflowId(args.nodeUuid), args: [args] });

const nodeHandle = (nodeUuid: string) => env.client.workflow.getHandle(introspectionWorkflowId(nodeUuid));

/** What the agent's post does: the API names the stored object in an Update. */
const deliver = (nodeUuid: string, objectName: string) => nodeHandle(nodeUuid).executeUpdate(deliverDataUpdate, { args: [{ objectName }] });

/** What the boot service and the agent's start report do: the API signals the run. */
const reach = async (nodeUuid: string, ...phases: ReportedPhase[]) => {
  for (const phase of phases) await nodeHandle(nodeUuid).signal(bootPhaseSignal, { phase, at: new Date().toISOString() });
};

/** The failure message a run ended with. */
async function failure(handle: WorkflowHandle): Promise<string> {
  const err = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return ((err as WorkflowFailedError).cause as ApplicationFailure).message;
}

/**
 * How long a closed run took in its own (skipped) time. Not the environment's clock: once a run
 * has closed, the server may skip ahead to timers left by earlier runs before time is locked again.
 */
async function runSeconds(handle: WorkflowHandle): Promise<number> {
  const { startedAt, finishedAt } = await handle.query(statusQuery);
  return (Date.parse(finishedAt!) - Date.parse(startedAt)) / 1000;
}

/** The node has been booted and its run waits for the agent. */
const poweredOnAndWaiting = (handle: WorkflowHandle) =>
  until(async () => {
    const s = await handle.query(statusQuery);
    return s.state === 'waiting' && s.poweredOnAt !== null;
  }, 'powered on and waiting');

/** The node's BMC calls that change its power, in order. */
const powerCalls = (nodeUuid: string) => mocks.names(nodeUuid).filter((n) => n === 'bootNode' || n === 'powerOffNode');
const boots = (nodeUuid: string) => mocks.of(nodeUuid, 'bootNode').length;
const doneWith = (nodeUuid: string) => mocks.of(nodeUuid, 'markInspectionDone').at(-1)?.args[1];

describe('introspectNode', () => {
  test('no agent ever calls back: after every boot times out the run fails with a timeout, the node powered off', async () => {
    const args = input({ bootTimeoutSeconds: 600, bootAttempts: 2 });
    const handle = await start(args);

    expect(await failure(handle)).toMatch(/timeout/i);
    expect(boots(args.nodeUuid)).toBe(2);
    expect(powerCalls(args.nodeUuid).at(-1)).toBe('powerOffNode');
    expect(doneWith(args.nodeUuid)).toMatch(/timeout/i);
    // Two boot timeouts went by in the workflow's time, and no such real time.
    expect(await runSeconds(handle)).toBeGreaterThanOrEqual(2 * 600);
  });

  test('the overall timeout cuts a boot short: an hour with 3000 s boots allows two of five boots', async () => {
    const args = input({ timeoutSeconds: 3600, bootTimeoutSeconds: 3000, bootAttempts: 5 });
    const handle = await start(args);

    expect(await failure(handle)).toMatch(/timeout/i);
    expect(boots(args.nodeUuid)).toBe(2);
    expect(powerCalls(args.nodeUuid).at(-1)).toBe('powerOffNode');
    expect(await runSeconds(handle)).toBeGreaterThanOrEqual(3600);
    expect(await runSeconds(handle)).toBeLessThan(2 * 3000);
  });

  test('boot retry: data arriving during the second boot finishes the run, after two boots', async () => {
    const args = input({ bootTimeoutSeconds: 600, bootAttempts: 3 });
    // The agent of the second boot posts before the BMC has even answered the power-on.
    mocks.reset({ bootNode: async (uuid: string) => (boots(uuid) === 2 ? deliver(uuid, 'agent-post-2') : undefined) });
    const status = await (await start(args)).result();

    expect(status).toMatchObject({ state: 'finished', error: null, bootAttempt: 2 });
    expect(boots(args.nodeUuid)).toBe(2);
    expect(mocks.of(args.nodeUuid, 'processData').at(-1)?.args).toContain('agent-post-2');
    expect(powerCalls(args.nodeUuid).at(-1)).toBe('powerOffNode');
    expect(doneWith(args.nodeUuid)).toBeNull();
  });

  test('boot phases: the detail says how far the boot got; a new boot starts afresh; the timeout names where the last one stopped, and why that usually is', async () => {
    const args = input({ bootAttempts: 2 });
    // The first boot gets as far as its ramdisk (reported before the BMC confirmed the power-on), the second only to its script.
    mocks.reset({ bootNode: (uuid: string) => (boots(uuid) === 1 ? reach(uuid, 'script_fetched', 'kernel_fetched', 'ramdisk_fetched') : reach(uuid, 'script_fetched')) });
    const handle = await start(args);
    await poweredOnAndWaiting(handle);

    const first = await handle.query(statusQuery);
    expect(Object.keys(first.bootPhases)).toEqual(['script_fetched', 'kernel_fetched', 'ramdisk_fetched', 'powered_on']);
    expect(first.detail).toBe(`waiting for agent, boot attempt 1/2: ramdisk fetched at ${first.bootPhases.ramdisk_fetched}`);
    await reach(args.nodeUuid, 'agent_started');
    // A report that names no phase is dropped (a signal cannot be refused).
    await nodeHandle(args.nodeUuid).signal(bootPhaseSignal, { phase: 'bogus' as ReportedPhase, at: new Date().toISOString() });
    const started = await handle.query(statusQuery);
    expect(started.detail).toMatch(/^waiting for agent, boot attempt 1\/2: agent started at /);
    expect(Object.keys(started.bootPhases)).not.toContain('bogus');

    const message = await failure(handle);
    expect(message).toMatch(/^timeout: no agent called back within \d+ s after 2 boot attempt\(s\); the last boot stopped after iPXE script fetched at \S+: iPXE script fetched but no kernel: /);
    expect(Object.keys((await handle.query(statusQuery)).bootPhases).sort()).toEqual(['powered_on', 'script_fetched']);
  });

  test('a boot that gets its data has reached every phase', async () => {
    const args = input();
    mocks.reset({
      bootNode: async (uuid: string) => {
        await reach(uuid, 'script_fetched', 'kernel_fetched', 'ramdisk_fetched', 'agent_started');
        await deliver(uuid, 'data');
      },
    });
    const status = await (await start(args)).result();

    expect(Object.keys(status.bootPhases).sort()).toEqual(['agent_started', 'data_delivered', 'kernel_fetched', 'powered_on', 'ramdisk_fetched', 'script_fetched']);
  });

  test('one delivery per run: a second one is refused and the first is processed', async () => {
    const args = input();
    let second: unknown;
    mocks.reset({
      bootNode: async (uuid: string) => {
        await deliver(uuid, 'first');
        second = await deliver(uuid, 'second').catch((e: unknown) => e);
      },
    });

    expect((await (await start(args)).result()).state).toBe('finished');
    expect(second).toBeInstanceOf(Error);
    expect(mocks.of(args.nodeUuid, 'processData').at(-1)?.args).toContain('first');
  });

  test('a delivery before the power-on is refused as not waiting yet (the agent tries again); one after it is taken', async () => {
    const args = input();
    let early: unknown;
    mocks.reset({
      markInspecting: async (uuid: string) => {
        early = await deliver(uuid, 'early').catch((e: unknown) => e);
      },
      bootNode: (uuid: string) => deliver(uuid, 'data'),
    });

    expect((await (await start(args)).result()).state).toBe('finished');
    expect((early as WorkflowUpdateFailedError).cause?.message).toContain(NOT_WAITING_YET);
    expect(mocks.of(args.nodeUuid, 'processData').at(-1)?.args).toContain('data');
  });

  test('abort while waiting for the agent: the node is powered off and the run fails as canceled', async () => {
    const args = input();
    const handle = await start(args);
    await poweredOnAndWaiting(handle);
    await handle.cancel();

    expect(await failure(handle)).toMatch(/cancel/i);
    expect(powerCalls(args.nodeUuid)).toEqual(['bootNode', 'powerOffNode']);
    expect(doneWith(args.nodeUuid)).toMatch(/cancel/i);
    expect((await handle.query(statusQuery)).state).toBe('error');
  });

  test('a processing failure still powers the node off and names the error', async () => {
    const args = input();
    mocks.reset({
      bootNode: (uuid: string) => deliver(uuid, 'data'),
      processData: async () => {
        throw ApplicationFailure.nonRetryable('hook root_disk_selection: no disk matches', 'ProcessingError');
      },
    });

    expect(await failure(await start(args))).toMatch(/no disk matches/);
    expect(powerCalls(args.nodeUuid).at(-1)).toBe('powerOffNode');
    expect(doneWith(args.nodeUuid)).toMatch(/no disk matches/);
  });

  test('a failing power-off is reported along with the error that led to it', async () => {
    const args = input({ bootAttempts: 1 });
    mocks.reset({
      powerOffNode: async () => {
        throw ApplicationFailure.nonRetryable('BMC unreachable', 'BmcError');
      },
    });
    const message = await failure(await start(args));

    expect(message).toMatch(/timeout/i);
    expect(message).toMatch(/BMC unreachable/);
    expect(doneWith(args.nodeUuid)).toMatch(/BMC unreachable/);
  });

  test('a node refused when its run starts is never touched', async () => {
    const args = input();
    mocks.reset({
      markInspecting: async () => {
        throw ApplicationFailure.nonRetryable('node is in maintenance', NODE_REFUSED);
      },
    });

    expect(await failure(await start(args))).toMatch(/maintenance/);
    expect(mocks.of(args.nodeUuid).filter((c) => c.taskQueue !== taskQueue)).toEqual([]);
  });

  test('BMC calls run on the BMC task queue', async () => {
    const args = input({ bootAttempts: 1 });
    await failure(await start(args));
    const bmcCalls = mocks.of(args.nodeUuid).filter((c) => c.taskQueue !== taskQueue);

    expect(bmcCalls.map((c) => c.name)).toEqual(expect.arrayContaining(['bootNode', 'powerOffNode']));
    expect(new Set(bmcCalls.map((c) => c.taskQueue))).toEqual(new Set([`${taskQueue}-bmc`]));
  });
});

describe('bulkIntrospection', () => {
  const options = (over: Partial<BulkOptions> = {}): BulkOptions => ({
    concurrency: 2,
    nodeTimeoutSeconds: 3600,
    bootTimeoutSeconds: 600,
    bootAttempts: 1,
    staggerSeconds: 0,
    continueAsNewAfter: 2,
    ...over,
  });
  const nodesNamed = (...names: string[]) => names.map((name) => ({ uuid: randomUUID(), name }));
  const startBulk = (over: Partial<BulkOptions> = {}) => {
    const bulkId = randomUUID();
    return env.client.workflow.start(bulkIntrospection, {
      taskQueue,
      workflowId: bulkWorkflowId(bulkId),
      args: [{ bulkId, selector: { rack: 'r1' }, options: options(over) }],
    });
  };

  /** How many runs a workflow went through, following its continue-as-new chain. */
  async function runsOf(handle: WorkflowHandleWithFirstExecutionRunId): Promise<number> {
    let runs = 1;
    for (let runId: string | undefined = handle.firstExecutionRunId; ; runs++) {
      const history = await env.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
      runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
      if (!runId) return runs;
    }
  }

  test('continues as new every continueAsNewAfter nodes; every node is counted once', async () => {
    const nodes = nodesNamed('n0', 'n1', 'n2', 'n3', 'n4');
    const [badBmc, maintenance] = [nodes[2], nodes[3]];
    const refused = { uuid: randomUUID(), name: 'deployed', reason: 'provision state active cannot be introspected' };
    mocks.reset({
      selectNodes: async () => ({ nodes, missing: ['ghost'], refused: [refused] }),
      markInspecting: async (uuid: string) => {
        if (uuid === maintenance.uuid) throw ApplicationFailure.nonRetryable('node is in maintenance', NODE_REFUSED);
      },
      bootNode: async (uuid: string) => {
        if (uuid === badBmc.uuid) throw ApplicationFailure.nonRetryable('BMC: invalid credentials', 'BmcError');
        await deliver(uuid, `data-${uuid}`);
      },
    });
    const handle = await startBulk({ continueAsNewAfter: 2 });
    const progress = await handle.result();

    expect(progress).toMatchObject({ state: 'finished', total: 7, pending: 0, running: 0, finished: 3, failed: 1, skipped: 3 });
    const outcome = (uuid: string) => progress.nodes.find((n) => n.uuid === uuid);
    expect(outcome(badBmc.uuid)).toMatchObject({ state: 'failed', error: expect.stringMatching(/invalid credentials/) });
    expect(outcome(maintenance.uuid)).toMatchObject({ state: 'skipped', error: expect.stringMatching(/maintenance/) });
    expect(outcome(refused.uuid)?.state).toBe('skipped');
    expect(outcome('ghost')?.state).toBe('skipped');
    // One selection for the whole bulk, then runs of 2 + 2 + 1 nodes.
    expect(mocks.calls.filter((c) => c.name === 'selectNodes')).toHaveLength(1);
    expect(await runsOf(handle)).toBe(3);
    for (const node of nodes) expect(boots(node.uuid)).toBe(node === maintenance ? 0 : 1);
  });

  test('abort: every running node is powered off, the queued ones are skipped', async () => {
    const nodes = nodesNamed('a0', 'a1', 'a2');
    mocks.reset({ selectNodes: async () => ({ nodes, missing: [], refused: [] }) });
    const handle = await startBulk({ concurrency: 2, continueAsNewAfter: 100 });
    await Promise.all(nodes.slice(0, 2).map((n) => until(async () => boots(n.uuid) > 0, `${n.name} booted`).then(() => poweredOnAndWaiting(nodeHandle(n.uuid)))));
    await handle.cancel();
    const progress = await handle.result();

    expect(progress).toMatchObject({ state: 'aborted', total: 3, running: 0, finished: 0, failed: 2, skipped: 1 });
    for (const node of nodes.slice(0, 2)) {
      expect(powerCalls(node.uuid)).toEqual(['bootNode', 'powerOffNode']);
      expect(progress.nodes.find((n) => n.uuid === node.uuid)?.error).toMatch(/cancel/i);
    }
    expect(boots(nodes[2].uuid)).toBe(0);
  });

  test('failed nodes are grouped by the phase their last boot stopped after', async () => {
    const [noBmc, noPxe, noAgent, good] = nodesNamed('no-bmc', 'no-pxe', 'no-agent', 'good');
    mocks.reset({
      selectNodes: async () => ({ nodes: [noBmc, noPxe, noAgent, good], missing: [], refused: [] }),
      bootNode: async (uuid: string) => {
        if (uuid === noBmc.uuid) throw ApplicationFailure.nonRetryable('BMC: invalid credentials', 'BmcError');
        if (uuid === noAgent.uuid) await reach(uuid, 'script_fetched', 'kernel_fetched', 'ramdisk_fetched');
        if (uuid === good.uuid) await deliver(uuid, 'data');
      },
    });
    const progress = await (await startBulk({ concurrency: 4, continueAsNewAfter: 100 })).result();

    expect(progress).toMatchObject({ finished: 1, failed: 3, failuresByPhase: { none: 1, powered_on: 1, ramdisk_fetched: 1 } });
    const phaseOf = (uuid: string) => progress.nodes.find((n) => n.uuid === uuid)?.bootPhase;
    expect([phaseOf(noBmc.uuid), phaseOf(noPxe.uuid), phaseOf(noAgent.uuid), phaseOf(good.uuid)]).toEqual([null, 'powered_on', 'ramdisk_fetched', undefined]);
  });

  test('staggered power-ons: a node starts at least staggerSeconds after the one before', async () => {
    const nodes = nodesNamed('s0', 's1', 's2');
    mocks.reset({
      selectNodes: async () => ({ nodes, missing: [], refused: [] }),
      bootNode: (uuid: string) => deliver(uuid, 'data'),
    });
    const progress = await (await startBulk({ concurrency: 3, staggerSeconds: 120 })).result();

    expect(progress).toMatchObject({ total: 3, finished: 3 });
    const starts = nodes.map((n) => Date.parse(progress.nodes.find((o) => o.uuid === n.uuid)!.startedAt!));
    for (let i = 1; i < starts.length; i++) expect(starts[i] - starts[i - 1]).toBeGreaterThanOrEqual(120_000);
  });

  test('a node already being introspected is skipped, its run left alone', async () => {
    const [busy, free] = nodesNamed('busy', 'free');
    const busyRun = await start(input({ nodeUuid: busy.uuid }));
    await poweredOnAndWaiting(busyRun);
    mocks.reset({
      selectNodes: async () => ({ nodes: [busy, free], missing: [], refused: [] }),
      bootNode: async (uuid: string) => (uuid === free.uuid ? deliver(uuid, 'data') : undefined),
    });
    const progress = await (await startBulk()).result();

    expect(progress).toMatchObject({ finished: 1, skipped: 1 });
    expect(progress.nodes.find((n) => n.uuid === busy.uuid)).toMatchObject({ state: 'skipped', error: expect.stringMatching(/already/) });
    expect((await busyRun.query(statusQuery)).state).toBe('waiting');
    await busyRun.cancel();
    await failure(busyRun);
  });
});

describe('verifyBmc', () => {
  const verify = async (nodeUuid: string) =>
    (await env.client.workflow.start(verifyBmc, { taskQueue, workflowId: verificationWorkflowId(nodeUuid), args: [nodeUuid] })).result();

  test('a BMC that answers: no error, its power state recorded', async () => {
    const nodeUuid = randomUUID();
    mocks.reset({ checkBmc: async () => 'power off' });

    expect(await verify(nodeUuid)).toEqual({ error: null, power_state: 'power off' });
    expect(mocks.of(nodeUuid, 'finishVerification').at(-1)?.args[1]).toEqual({ error: null, power_state: 'power off' });
  });

  test('a BMC that refuses the credentials: the node is told why', async () => {
    const nodeUuid = randomUUID();
    mocks.reset({
      checkBmc: async () => {
        throw ApplicationFailure.nonRetryable('the BMC refused the user name or password', 'BmcError');
      },
    });
    const outcome = await verify(nodeUuid);

    expect(outcome.error).toMatch(/refused the user name or password/);
    expect(mocks.of(nodeUuid, 'finishVerification').at(-1)?.args[1]).toEqual(outcome);
  });
});

import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { introspectNode, verifyBmc } from '../../workflows';
import { NOT_WAITING_YET } from '../../common/api-types';
import type { ReportedPhase } from '../../common/boot-phases';
import {
  bootPhaseSignal,
  introspectionWorkflowId,
  NODE_REFUSED,
  statusQuery,
  verificationWorkflowId,
  type IntrospectNodeInput,
} from '../../workflows/definitions';
import { nodeRuns } from '../support/node-runs';
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

const { handle: nodeHandle, deliver, reach, powerCalls, boots } = nodeRuns(() => env.client, mocks);

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

const doneWith = (nodeUuid: string) => mocks.of(nodeUuid, 'markInspectionDone').at(-1)?.args[1];

/** The IntrospectionState values a run upserted, in order (what Temporal's visibility was told). */
async function searchableStates(handle: WorkflowHandle): Promise<string[]> {
  const { events } = await handle.fetchHistory();
  return (events ?? [])
    .map((e) => e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.IntrospectionState?.data)
    .filter((data): data is Uint8Array => !!data)
    .map((data) => JSON.parse(Buffer.from(data).toString('utf8')));
}

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

  test('manageBoot false: no BMC command at all; the data of a server booted by someone else finishes the run', async () => {
    const args = input({ manageBoot: false });
    const handle = await start(args);
    await until(async () => (await handle.query(statusQuery)).state === 'waiting', 'waiting');
    await deliver(args.nodeUuid, 'data');

    expect((await handle.result()).state).toBe('finished');
    expect(powerCalls(args.nodeUuid)).toEqual([]);
    // Nothing comes between processing and the end: one step, and 'processing' is never made searchable.
    expect(mocks.names(args.nodeUuid).filter((n) => n !== 'markInspecting')).toEqual(['processDataAndFinish']);
    expect(mocks.of(args.nodeUuid, 'processDataAndFinish')[0].args).toContain('data');
    expect(await searchableStates(handle)).toEqual(['waiting', 'finished']);
  });

  test('a worker set to leave servers on (PROCESSING_POWER_OFF=false): a finished run does not power off; a failed one still does', async () => {
    const finished = input();
    mocks.reset({ markInspecting: async () => ({ outOfBand: false, powerOff: false }), bootNode: (uuid: string) => deliver(uuid, 'data') });
    expect((await (await start(finished)).result()).state).toBe('finished');
    expect(powerCalls(finished.nodeUuid)).toEqual(['bootNode']);
    expect(mocks.of(finished.nodeUuid, 'processDataAndFinish')).toHaveLength(1);

    const failed = input();
    mocks.reset({
      markInspecting: async () => ({ outOfBand: false, powerOff: false }),
      bootNode: (uuid: string) => deliver(uuid, 'data'),
      processDataAndFinish: async () => {
        throw ApplicationFailure.nonRetryable('hook scheduler: no memory', 'ProcessingError');
      },
    });
    expect(await failure(await start(failed))).toMatch(/no memory/);
    expect(powerCalls(failed.nodeUuid)).toEqual(['bootNode', 'powerOffNode']);
    expect(doneWith(failed.nodeUuid)).toMatch(/no memory/);
  });

  test('manageBoot false: without an agent the run times out after timeoutSeconds, still without a BMC command', async () => {
    const args = input({ manageBoot: false, timeoutSeconds: 900 });
    const handle = await start(args);

    expect(await failure(handle)).toMatch(/timeout: no agent called back within 900 s/);
    expect(powerCalls(args.nodeUuid)).toEqual([]);
    expect(doneWith(args.nodeUuid)).toMatch(/timeout/);
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

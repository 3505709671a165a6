import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  patched,
} from '@temporalio/workflow';
import { describeStop, lastPhase } from '../common/boot-phases';
import { bmcActivities, localProcessingToTheEnd, localRegistry } from './activities';
import { NODE_REFUSED, type AgentDelivery, type IntrospectionState, type IntrospectionStatus, type IntrospectNodeInput } from './definitions';
import { introspectNodeV1 } from './legacy/introspect-node-v1';
import { introspectNodeV2 } from './legacy/introspect-node-v2';
import { acceptAgentData } from './agent-data';
import { acceptBootPhases, reachPhase, waitingDetail } from './boot-phases';
import { reportToBulk } from './bulk-report';
import { countEnd, countStart } from './run-metrics';
import { errorMessage, failureType, newStatus, stateChanges } from './status';

/** Marks runs started since PXE is armed before every boot; earlier runs replay in introspectNodeV1. */
const PXE_EVERY_BOOT = 'introspect-node-v2-pxe-every-boot';
/** Marks runs whose registry and processing steps are local activities; earlier runs replay in introspectNodeV2. */
const LOCAL_STEPS = 'introspect-node-v3-local-steps';
/** Marks runs that read an out-of-band node's hardware from its BMC instead of booting it. */
const OUT_OF_BAND = 'introspect-node-out-of-band';
/** Marks runs that process their data and record their outcome in one step when no power-off comes between. */
const ONE_STEP_END = 'introspect-node-one-step-end';

/**
 * Introspects one node: check it may be → for each boot attempt: wait for the agent from
 * before the power-on, arm PXE and power on (confirmed), follow how far the boot gets (see
 * common/boot-phases.ts) → process → power off (unless the worker leaves servers on:
 * PROCESSING_POWER_OFF=false) → finished. A boot that times out names the
 * phase it stopped after and what that usually means. With `manageBoot: false` it sends no BMC
 * command at all: it waits for an agent of a server booted by someone else.
 * A node inspected out-of-band (inspect_interface redfish) is read from its BMC instead, with no
 * boot and its power left as it is; the same processing follows.
 * Any failure, timeout or abort still powers the node off (as the last BMC command) and leaves a
 * clear error naming the step; a node that may not be introspected is never touched.
 * The registry and processing steps run in the worker's own process (local activities: no round
 * trip through Temporal each, and safe to run again after a crash); BMC commands run on their
 * rate-limited task queue.
 */
export async function introspectNode(input: IntrospectNodeInput): Promise<IntrospectionStatus> {
  if (!patched(PXE_EVERY_BOOT)) return introspectNodeV1(input);
  if (!patched(LOCAL_STEPS)) return introspectNodeV2(input);
  const oneStepEnd = patched(ONE_STEP_END);
  const { nodeUuid, bulkId } = input;
  let manageBoot = input.manageBoot !== false;
  const bmc = bmcActivities(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED);
  const inBulk = bulkId ? ([{ bulkId }] as const) : ([] as const);
  const status = newStatus('starting', 'starting', manageBoot ? input.bootAttempts : 0);

  // The run was started with IntrospectionState = starting.
  const setState = stateChanges(status, 'starting');
  /** One step of the run, shown while it runs and named in its error. */
  const step = async <T>(state: IntrospectionState, detail: string, run: () => Promise<T>, quietly = false): Promise<T> => {
    setState(state, detail, quietly);
    try {
      return await run();
    } catch (err) {
      if (isCancellation(err)) throw err;
      throw ApplicationFailure.nonRetryable(`${detail}: ${errorMessage(err)}`, failureType(err));
    }
  };
  const powerOff = async () => {
    if (manageBoot) await bmc.powerOffNode(nodeUuid);
  };

  const dataObject = acceptAgentData(status);
  acceptBootPhases(status);
  countStart();

  try {
    const marked = await step('starting', 'checking the node may be introspected and marking it inspecting', () => localRegistry.markInspecting(nodeUuid, ...inBulk));
    // False when the worker is set to leave servers on after a successful run (histories from before record no such field).
    const powerOffWhenDone = marked?.powerOff !== false;
    const deadline = Date.now() + input.timeoutSeconds * 1000;
    /** Boots the server (unless someone else does) and waits for its agent's data. */
    const agentData = async (): Promise<AgentDelivery> => {
      if (!manageBoot) {
        setState('waiting', 'waiting for agent of a server booted by someone else (manage_boot false)');
        if (!(await condition(() => dataObject() !== undefined, input.timeoutSeconds * 1000))) {
          throw ApplicationFailure.nonRetryable(`timeout: no agent called back within ${input.timeoutSeconds} s (the boot is not managed)`, 'IntrospectionTimeout');
        }
      }
      for (status.bootAttempt = 1; manageBoot; status.bootAttempt++) {
        const attempt = `boot attempt ${status.bootAttempt}/${input.bootAttempts}`;
        status.bootPhases = {};
        // Waiting before the power-on: a ramdisk quicker than the BMC's answer finds its run ready.
        await step('waiting', `arming PXE and powering on, ${attempt}`, () => bmc.bootNode(nodeUuid));
        status.poweredOnAt = new Date().toISOString();
        reachPhase(status, 'powered_on', status.poweredOnAt);
        setState('waiting', waitingDetail(status));
        const waitMs = Math.min(input.bootTimeoutSeconds * 1000, deadline - Date.now());
        if (await condition(() => dataObject() !== undefined, Math.max(waitMs, 0))) break;
        if (status.bootAttempt >= input.bootAttempts || Date.now() >= deadline) {
          throw ApplicationFailure.nonRetryable(
            `timeout: no agent called back within ${Math.round((Date.now() - Date.parse(status.startedAt)) / 1000)} s ` +
              `after ${status.bootAttempt} boot attempt(s); ${describeStop(status.bootPhases)}`,
            'IntrospectionTimeout',
          );
        }
      }
      return dataObject()!;
    };
    let accepted: AgentDelivery;
    // Histories from before OUT_OF_BAND recorded no result here (undefined): they replay on.
    if (marked?.outOfBand && patched(OUT_OF_BAND)) {
      manageBoot = false; // no boot, and no power-off after a failure either
      status.bootAttempts = 0;
      // As Ironic's redfish inspection: the hardware read from the BMC, the server's power left as it is.
      const objectName = await step('processing', 'reading the hardware from the BMC over Redfish (out-of-band, no boot)', () => bmcActivities().readInventoryOutOfBand(nodeUuid));
      accepted = { objectName, logs: false };
    } else {
      accepted = await agentData();
    }
    if (oneStepEnd && !(powerOffWhenDone && manageBoot)) {
      // Nothing between processing and the end: one local step, and 'processing' is not upserted (the run leaves it in the same task).
      await step('processing', 'running processing hooks and rules, recording the outcome', () => localProcessingToTheEnd.processDataAndFinish(nodeUuid, accepted.objectName, accepted.logs, ...inBulk), true);
    } else {
      await step('processing', 'running processing hooks and rules', () => localProcessingToTheEnd.processData(nodeUuid, accepted.objectName, accepted.logs));
      // Past processing the run finishes whatever comes: an abort now would only misreport it.
      await CancellationScope.nonCancellable(async () => {
        if (powerOffWhenDone) await step('processing', 'powering off', powerOff);
        await step('processing', 'recording the outcome', () => localRegistry.markInspectionDone(nodeUuid, null, ...inBulk));
      });
    }
    status.finishedAt = new Date().toISOString();
    setState('finished', 'finished');
    countEnd(status, 'finished', 'none');
    await reportToBulk(input, 'finished');
    return status;
  } catch (err) {
    status.error = errorMessage(err);
    if (failureType(err) === NODE_REFUSED) {
      status.finishedAt = new Date().toISOString();
      setState('error', status.error);
      countEnd(status, 'refused', NODE_REFUSED);
      await reportToBulk(input, 'skipped');
      throw ApplicationFailure.nonRetryable(status.error, NODE_REFUSED);
    }
    await CancellationScope.nonCancellable(async () => {
      setState(isCancellation(err) ? 'aborting' : 'error', manageBoot ? `powering off after: ${status.error}` : `ending after: ${status.error}`);
      try {
        await powerOff();
      } catch (powerErr) {
        status.error = `${status.error}; powering off failed too: ${errorMessage(powerErr)}`;
      }
      await localRegistry.markInspectionDone(nodeUuid, status.error, ...(bulkId ? [{ bulkId, bootPhase: lastPhase(status.bootPhases) }] : []));
    });
    status.finishedAt = new Date().toISOString();
    setState('error', status.error!);
    countEnd(status, 'failed', isCancellation(err) ? 'Aborted' : (failureType(err) ?? 'Error'));
    await reportToBulk(input, 'failed');
    // The phase travels with the failure: a bulk run groups its failed nodes by it.
    throw ApplicationFailure.create({
      message: status.error!,
      type: 'IntrospectionFailed',
      nonRetryable: true,
      details: [{ bootPhase: lastPhase(status.bootPhases) }],
    });
  }
}

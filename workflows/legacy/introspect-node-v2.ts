import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
} from '@temporalio/workflow';
import { describeStop, lastPhase } from '../../common/boot-phases';
import { bmcActivities, processingToTheEnd, registry } from '../activities';
import { NODE_REFUSED, type IntrospectionState, type IntrospectionStatus, type IntrospectNodeInput } from '../definitions';
import { reportToBulk } from '../bulk-report';
import { acceptAgentData } from '../agent-data';
import { acceptBootPhases, reachPhase, waitingDetail } from '../boot-phases';
import { countEnd, countStart } from '../run-metrics';
import { errorMessage, failureType, newStatus, publishState } from '../status';

// introspectNode as it ran before its registry and processing steps were local activities: runs
// started then replay and finish here. Remove once none is left (list with
// `temporal workflow list --query "WorkflowType='introspectNode' AND ExecutionStatus='Running'"`).

/**
 * Introspects one node: check it may be → for each boot attempt: wait for the agent from
 * before the power-on, arm PXE and power on (confirmed), follow how far the boot gets (see
 * common/boot-phases.ts) → process → power off → finished. A boot that times out names the
 * phase it stopped after and what that usually means.
 * Any failure, timeout or abort still powers the node off (as the last BMC command) and leaves a
 * clear error naming the step; a node that may not be introspected is never touched.
 */
export async function introspectNodeV2(input: IntrospectNodeInput): Promise<IntrospectionStatus> {
  const { nodeUuid, bulkId } = input;
  const bmc = bmcActivities(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED);
  /** A bulk's node records its start and end in that bulk's rows too. */
  const inBulk = bulkId ? ([{ bulkId }] as const) : ([] as const);
  const status = newStatus('starting', 'starting', input.bootAttempts);

  const setState = (state: IntrospectionState, detail: string) => publishState(status, nodeUuid, state, detail);
  /** One step of the run, shown while it runs and named in its error. */
  const step = async <T>(state: IntrospectionState, detail: string, run: () => Promise<T>): Promise<T> => {
    setState(state, detail);
    try {
      return await run();
    } catch (err) {
      if (isCancellation(err)) throw err;
      throw ApplicationFailure.nonRetryable(`${detail}: ${errorMessage(err)}`, failureType(err));
    }
  };

  const dataObject = acceptAgentData(status);
  acceptBootPhases(status);
  countStart();

  try {
    await step('starting', 'checking the node may be introspected and marking it inspecting', () => registry.markInspecting(nodeUuid, ...inBulk));
    const deadline = Date.now() + input.timeoutSeconds * 1000;
    for (status.bootAttempt = 1; ; status.bootAttempt++) {
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
    await step('processing', 'running processing hooks and rules', () => processingToTheEnd.processData(nodeUuid, dataObject()?.objectName, dataObject()?.logs));
    // Past processing the run finishes whatever comes: an abort now would only misreport it.
    await CancellationScope.nonCancellable(async () => {
      await step('processing', 'powering off', () => bmc.powerOffNode(nodeUuid));
      await step('processing', 'recording the outcome', () => registry.markInspectionDone(nodeUuid, null, ...inBulk));
    });
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
      setState(isCancellation(err) ? 'aborting' : 'error', `powering off after: ${status.error}`);
      try {
        await bmc.powerOffNode(nodeUuid);
      } catch (powerErr) {
        status.error = `${status.error}; powering off failed too: ${errorMessage(powerErr)}`;
      }
      await registry.markInspectionDone(nodeUuid, status.error, ...(bulkId ? [{ bulkId, bootPhase: lastPhase(status.bootPhases) }] : []));
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

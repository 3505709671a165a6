import {
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  patched,
} from '@temporalio/workflow';
import { bmcActivities, processing, registry } from '../activities';
import { acceptAgentData } from '../agent-data';
import { errorMessage, newStatus, publishState } from '../status';
import {
  type IntrospectionState,
  type IntrospectionStatus,
  type IntrospectNodeInput,
} from '../definitions';

// introspectNode as it ran before PXE was armed before every boot and power changes were
// confirmed: runs started then replay and finish here. Remove once none is left (list with
// `temporal workflow list --query "WorkflowType='introspectNode' AND ExecutionStatus='Running'"`).

/**
 * Introspects one node: PXE boot → wait for the agent → process → store → power off.
 * Any failure, timeout or abort still powers the node off and leaves a clear error.
 */
export async function introspectNodeV1(input: IntrospectNodeInput): Promise<IntrospectionStatus> {
  const { nodeUuid } = input;
  const bmc = bmcActivities();
  const status = newStatus('starting', 'starting', input.bootAttempts);

  const setState = (state: IntrospectionState, detail: string) => publishState(status, nodeUuid, state, detail);

  const dataObject = acceptAgentData(status);

  try {
    setState('starting', 'marking node inspecting');
    await registry.markInspecting(nodeUuid);
    setState('starting', 'setting boot device to PXE');
    await bmc.setBootDevicePxe(nodeUuid);

    const deadline = Date.now() + input.timeoutSeconds * 1000;
    for (status.bootAttempt = 1; ; status.bootAttempt++) {
      setState('starting', `booting into the ramdisk, boot attempt ${status.bootAttempt}/${input.bootAttempts}`);
      await bmc.bootNode(nodeUuid);
      status.poweredOnAt = new Date().toISOString();
      setState('waiting', `waiting for agent, boot attempt ${status.bootAttempt}/${input.bootAttempts}, powered on at ${status.poweredOnAt}`);
      const waitMs = Math.min(input.bootTimeoutSeconds * 1000, deadline - Date.now());
      if (await condition(() => dataObject() !== undefined, Math.max(waitMs, 0))) break;
      if (status.bootAttempt >= input.bootAttempts || Date.now() >= deadline) {
        throw ApplicationFailure.nonRetryable(
          `timeout: no agent called back within ${Math.round((Date.now() - Date.parse(status.startedAt)) / 1000)} s ` +
            `after ${status.bootAttempt} boot attempt(s); check PXE/DHCP and the ramdisk`,
          'IntrospectionTimeout',
        );
      }
    }

    setState('processing', 'running processing hooks and rules');
    // Runs started before each agent post had a name of its own processed the one fixed name.
    await (patched('process-accepted-object') ? processing.processData(nodeUuid, dataObject()?.objectName, dataObject()?.logs) : processing.processData(nodeUuid));
    setState('processing', 'powering off');
    await bmc.powerOffNode(nodeUuid);
    await registry.markInspectionDone(nodeUuid, null);
    status.finishedAt = new Date().toISOString();
    setState('finished', 'finished');
    return status;
  } catch (err) {
    const message = errorMessage(err);
    status.error = message;
    await CancellationScope.nonCancellable(async () => {
      setState(isCancellation(err) ? 'aborting' : 'error', `powering off after: ${message}`);
      try {
        await bmc.powerOffNode(nodeUuid);
      } catch (powerErr) {
        status.error = `${message}; powering off failed too: ${errorMessage(powerErr)}`;
      }
      await registry.markInspectionDone(nodeUuid, status.error);
    });
    status.finishedAt = new Date().toISOString();
    setState('error', status.error!);
    throw ApplicationFailure.nonRetryable(status.error!, 'IntrospectionFailed');
  }
}

import { ActivityCancellationType, CancellationScope } from '@temporalio/workflow';
import { bmcActivities, registry } from './activities';
import type { NodePowerOutcome, NodePowerRequest } from './node-power-request';
import { errorMessage } from './status';

// Ironic's power and boot-device requests (PUT /v1/nodes/<node>/states/power and
// .../management/boot_device) as a workflow: the API runs no BMC command. One at a time per node
// (its workflow id, nodePowerWorkflowId).

/**
 * Runs one request on the BMC queue. A power request shows its target_power_state (`rebooting`:
 * power on) while it runs, and ends with power_state the one the BMC confirmed and, on failure,
 * why in last_error.
 */
export async function nodePower(nodeUuid: string, request: NodePowerRequest): Promise<NodePowerOutcome> {
  const bmc = bmcActivities(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED);
  if ('power' in request) await registry.setPowerTarget(nodeUuid, request.power === 'power off' ? 'power off' : 'power on');
  let error: string | null = null;
  try {
    if ('bootDevice' in request) await bmc.setNodeBootDevice(nodeUuid, request.bootDevice);
    else {
      if (request.power !== 'power on') await bmc.powerOffNode(nodeUuid);
      if (request.power !== 'power off') await bmc.powerOnNode(nodeUuid);
    }
  } catch (err) {
    const what = 'bootDevice' in request ? `set the boot device to ${request.bootDevice}` : `change the power state to ${request.power}`;
    error = `Failed to ${what}: ${errorMessage(err)}`;
  }
  if ('power' in request) await CancellationScope.nonCancellable(() => registry.setPowerTarget(nodeUuid, null, error));
  return { error };
}

import { ActivityCancellationType, CancellationScope, isCancellation } from '@temporalio/workflow';
import { bmcActivities, registry } from './activities';
import { errorMessage } from './status';

export interface VerificationOutcome {
  error: string | null;
  power_state?: string;
}

/**
 * `manage`'s check, durable and on the rate-limited BMC queue: the BMC answers a power status
 * with the stored credentials, and the node ends manageable, or back in enroll with why.
 */
export async function verifyBmc(nodeUuid: string): Promise<VerificationOutcome> {
  const bmc = bmcActivities(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED);
  let outcome: VerificationOutcome;
  try {
    outcome = { error: null, power_state: await bmc.checkBmc(nodeUuid) };
  } catch (err) {
    outcome = { error: `Failed to verify the BMC credentials with a power status call: ${errorMessage(err)}` };
    if (isCancellation(err)) outcome.error = 'the BMC check was cancelled; manage the node again';
  }
  await CancellationScope.nonCancellable(() => registry.finishVerification(nodeUuid, outcome));
  return outcome;
}

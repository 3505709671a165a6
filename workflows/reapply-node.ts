import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import { processing } from './activities';
import { statusQuery, type IntrospectionStatus } from './definitions';
import { errorMessage, newStatus, publishState } from './status';


/** Re-runs the processing hooks and rules on the stored raw data, without rebooting the server. */
export async function reapplyNode(nodeUuid: string): Promise<IntrospectionStatus> {
  const status = newStatus('reapplying', 'reapplying processing hooks and rules to the stored data', 0);
  setHandler(statusQuery, () => status);
  publishState(status, nodeUuid, 'reapplying', status.detail);
  try {
    await processing.processData(nodeUuid);
  } catch (err) {
    status.error = errorMessage(err);
    status.finishedAt = new Date().toISOString();
    publishState(status, nodeUuid, 'error', status.error);
    throw ApplicationFailure.nonRetryable(status.error, 'ReapplyFailed');
  }
  status.finishedAt = new Date().toISOString();
  publishState(status, nodeUuid, 'finished', 'finished');
  return status;
}

import { ApplicationFailure, CancellationScope, setHandler } from '@temporalio/workflow';
import { processing, registry } from './activities';
import { statusQuery, type DiscoverNodeInput, type IntrospectionStatus } from './definitions';
import { errorMessage, newStatus, publishState } from './status';

/**
 * Processes the data of a server that discovery has just enrolled, as an introspection's: the
 * hooks, then the rules (which may give it BMC credentials), the data stored under the usual
 * names. No BMC command: nothing has verified its credentials, and its ramdisk powers it off.
 * The node stays in enroll, for an operator to manage.
 */
export async function discoverNode({ nodeUuid, objectName, logs }: DiscoverNodeInput): Promise<IntrospectionStatus> {
  const status = newStatus('processing', 'processing the data of a discovered server', 0);
  setHandler(statusQuery, () => status);
  publishState(status, nodeUuid, 'processing', status.detail);
  try {
    await processing.processData(nodeUuid, objectName, logs);
  } catch (err) {
    status.error = errorMessage(err);
  }
  await CancellationScope.nonCancellable(() => registry.markDiscoveryDone(nodeUuid, status.error));
  status.finishedAt = new Date().toISOString();
  if (status.error) {
    publishState(status, nodeUuid, 'error', status.error);
    throw ApplicationFailure.nonRetryable(status.error, 'DiscoveryFailed');
  }
  publishState(status, nodeUuid, 'finished', 'finished');
  return status;
}

import { CancellationScope, getExternalWorkflowHandle, patched } from '@temporalio/workflow';
import { bulkNodeEndedSignal, bulkWorkflowId, type IntrospectNodeInput, type NodeEndState } from './definitions';

/** Marks runs that tell their bulk run when they end. */
const REPORTS_TO_BULK = 'introspect-node-reports-to-bulk';

/** Tells the bulk run that started this one (if any) how it ended; a bulk that has ended (terminated) is told nothing. */
export async function reportToBulk(input: IntrospectNodeInput, state: NodeEndState): Promise<void> {
  if (!input.bulkId || !patched(REPORTS_TO_BULK)) return;
  await CancellationScope.nonCancellable(() =>
    getExternalWorkflowHandle(bulkWorkflowId(input.bulkId!))
      .signal(bulkNodeEndedSignal, { nodeUuid: input.nodeUuid, state })
      .catch(() => undefined),
  );
}

import { SELECTION_STEP } from '../nodes/bulk-selection';
import type { BulkPage, NodeEndState } from '../workflows/definitions';
import type { ActivityDeps } from './deps';
import { classified } from './failures';

/** A bulk run's bookkeeping in the registry: the nodes' own runs record their start and end (node-state.ts). */
export function bulkActivities(deps: ActivityDeps) {
  return {
    /** The bulk's next nodes after `afterSeq`, in selection order, selecting more when needed. */
    nextBulkPage: (bulkId: string, afterSeq: number): Promise<BulkPage> => classified(() => deps.registry.bulks.selection.nextPage(bulkId, afterSeq, SELECTION_STEP)),

    /** A node whose end the bulk records itself: already being introspected, or its run ended without saying so. */
    recordBulkNode: (bulkId: string, nodeUuid: string, outcome: { state: NodeEndState; error: string | null }): Promise<void> =>
      classified(() => deps.registry.bulks.nodeEnded(bulkId, nodeUuid, outcome)),

    /** The bulk run ended; aborted, the nodes it never started are skipped. */
    finishBulk: (bulkId: string, aborted: boolean): Promise<void> => classified(() => deps.registry.bulks.finish(bulkId, aborted)),
  };
}

import { Context } from '@temporalio/activity';
import type { HistorySource } from '../nodes/history';
import type { NodeRecord } from '../nodes';
import type { ActivityDeps } from './deps';
import { objectNames, type StoredObject } from './storage';

// The node's history of accepted introspections: each processing keeps its raw and processed
// data under names of its own run (inspector_data-<uuid> stays the latest), records them in the
// registry, and lets the oldest entries go beyond HISTORY_KEEP.

/** Where the processed data came from: a reapply has no post of its own; an agent's post or the BMC's answers otherwise. */
function sourceOf(node: Pick<NodeRecord, 'inspect_interface'>, accepted: string | undefined): HistorySource {
  if (!accepted) return 'reapply';
  if (Context.current().info.workflowType === 'discoverNode') return 'discovery';
  return node.inspect_interface === 'redfish' ? 'out-of-band' : 'introspection';
}

/** The workflow run this activity works for: history entries are named by it. */
export function runIdOfActivity(): string {
  const runId = Context.current().info.workflowExecution?.runId;
  if (!runId) throw new Error('introspection data is kept in history only by an activity of a workflow run');
  return runId;
}

/**
 * Keeps one processing's data in the node's history, copied within the store from the node's
 * latest raw and processed data just written (`processed` is what that write stored); run again
 * by a retried activity, it is still one entry.
 */
export async function keepInHistory(
  deps: ActivityDeps,
  node: Pick<NodeRecord, 'uuid' | 'inspect_interface'>,
  accepted: string | undefined,
  data: { unprocessedBytes: number; processed: StoredObject },
): Promise<{ historyId: number; expired: number[] }> {
  const runId = runIdOfActivity();
  const copies = [
    [objectNames.unprocessed(node.uuid), objectNames.historyUnprocessed(node.uuid, runId)],
    [objectNames.processed(node.uuid), objectNames.history(node.uuid, runId)],
  ];
  for (const [from, to] of copies) {
    if (!(await deps.store.copy(from, to))) throw new Error(`${from} went missing before it was kept in history as ${to}`);
  }
  const entry = await deps.registry.history.record({
    nodeUuid: node.uuid,
    runId,
    source: sourceOf(node, accepted),
    sha256: data.processed.sha256,
    processedBytes: data.processed.bytes,
    unprocessedBytes: data.unprocessedBytes,
  });
  const expired = await deps.registry.history.beyond(node.uuid, deps.historyKeep);
  for (const old of expired) {
    await deps.store.delete(objectNames.history(node.uuid, old.run_id));
    await deps.store.delete(objectNames.historyUnprocessed(node.uuid, old.run_id));
  }
  await deps.registry.history.remove(node.uuid, expired.map((e) => e.id));
  return { historyId: entry.id, expired: expired.map((e) => e.id) };
}

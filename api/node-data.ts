import { objectNames, type ObjectStore } from '../activities/storage';
import { log } from '../common/log';

// A deleted node's introspection data in S3: forgotten with the node, as ironic-inspector
// forgets nodes Ironic no longer has. Posts still under received/ belong to the callback
// that stored them (api/callbacks.ts) and are left alone.

const PARALLEL_DELETES = 8;

/** The objects a node's introspections leave: its latest data, extra hardware and logs, and each history entry's data. */
export function nodeDataObjects(uuid: string, historyRunIds: string[]): string[] {
  return [
    objectNames.processed(uuid),
    objectNames.unprocessed(uuid),
    objectNames.extraHardware(uuid),
    objectNames.logs(uuid),
    ...historyRunIds.flatMap((runId) => [objectNames.history(uuid, runId), objectNames.historyUnprocessed(uuid, runId)]),
  ];
}

/**
 * Deletes the objects of a node already deleted from the registry. A failure does not fail the
 * node's delete: it is logged at warn with the objects left, and no more deletes are started
 * (an unreachable S3 costs one timeout, not one per object).
 */
export async function deleteNodeData(store: ObjectStore, uuid: string, historyRunIds: string[]): Promise<void> {
  const names = nodeDataObjects(uuid, historyRunIds);
  let next = 0;
  let failure: unknown;
  const left: string[] = [];
  const worker = async () => {
    while (next < names.length && failure === undefined) {
      const name = names[next++];
      try {
        await store.delete(name);
      } catch (err) {
        failure ??= err;
        left.push(name);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_DELETES, names.length) }, worker));
  if (failure === undefined) return;
  left.push(...names.slice(next));
  log().warn({ err: failure, node: uuid, objects: left }, `node ${uuid} is deleted but deleting its introspection data in S3 failed; delete these objects by hand`);
}

import {
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  ParentClosePolicy,
  patched,
  setCurrentDetails,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { registry } from './activities';
import {
  bulkNodeEndedSignal,
  IntrospectionBulkKey,
  IntrospectionNodeKey,
  IntrospectionNodeNameKey,
  IntrospectionStateKey,
  introspectionWorkflowId,
  runSummary,
  type BulkCarried,
  type BulkInput,
  type BulkPageNode,
  type BulkResult,
  type NodeEndState,
} from './definitions';
import { introspectNode } from './introspect-node';
import { bulkIntrospectionV1, type BulkProgress, type LegacyBulkInput } from './legacy/bulk-introspection-v1';
import { errorMessage } from './status';

/** Marks the runs whose outcomes live in the registry; earlier runs replay in bulkIntrospectionV1. */
const OUTCOMES_IN_REGISTRY = 'bulk-outcomes-in-registry';

/** How often the run looks for nodes whose runs ended without telling it (terminated runs of earlier runs of this bulk). */
const OVERDUE_CHECK_MS = 10 * 60_000;
/** Past its node timeout, how long a node's run may take to power off and record its end. */
const OVERDUE_GRACE_MS = 60 * 60_000;

export async function bulkIntrospection(input: BulkInput | LegacyBulkInput): Promise<BulkResult | BulkProgress> {
  // A run of the earlier version that continues as new after the upgrade still carries its queue.
  const legacy = (input.carried && 'queue' in input.carried) || !patched(OUTCOMES_IN_REGISTRY);
  return legacy ? bulkIntrospectionV1(input as LegacyBulkInput) : introspectInBulk(input as BulkInput);
}

/**
 * Introspects a bulk's selection as child workflows `introspection-<uuid>`, at most `concurrency`
 * at a time. The selection comes a page at a time from the registry, where each node's run also
 * records its outcome; this run keeps counters, a cursor and the nodes running, and continues
 * as new (without waiting for them) every `continueAsNewAfter` starts or when Temporal suggests
 * it. A node's run tells the bulk its end by signal to the bulk's workflow id, which whichever run
 * of the bulk is current gets. A failed node does not stop the others; a node already being
 * introspected is skipped. Cancelling the bulk cancels every node running (each powers its node
 * off) and waits for them. Children are abandoned when a run closes: continuing as new must not
 * touch them, so terminating the bulk leaves its running nodes to finish on their own.
 */
async function introspectInBulk(input: BulkInput): Promise<BulkResult> {
  const { bulkId, options } = input;
  const c: BulkCarried = input.carried ?? { startedAt: new Date().toISOString(), afterSeq: -1, total: 0, finished: 0, failed: 0, skipped: 0, running: [] };
  /** Node uuid → when its run started, ms. */
  const running = new Map<string, number>(c.running.map((r) => [r.uuid, Date.parse(r.startedAt)]));

  const report = () => {
    const done = c.finished + c.failed + c.skipped;
    setCurrentDetails(
      `**running**: ${done}/${c.total} done — ${running.size} running, ${c.finished} finished, ${c.failed} failed, ` +
        `${c.skipped} skipped, ${Math.max(0, c.total - done - running.size)} pending`,
    );
  };
  const ended = (nodeUuid: string, state: NodeEndState) => {
    if (!running.delete(nodeUuid)) return false; // reported already (by its signal, or its result)
    c[state]++;
    report();
    return true;
  };
  /** A node whose end this run records itself: its own run never did (or never started). The count stands if the record fails. */
  const endedWithout = async (nodeUuid: string, state: NodeEndState, error: string | null) => {
    if (ended(nodeUuid, state)) await registry.recordBulkNode(bulkId, nodeUuid, { state, error }).catch(() => undefined);
  };
  setHandler(bulkNodeEndedSignal, ({ nodeUuid, state }) => void ended(nodeUuid, state));
  upsertSearchAttributes([{ key: IntrospectionBulkKey, value: bulkId }]);
  report();

  const launch = async (node: BulkPageNode) => {
    running.set(node.uuid, Date.now());
    report();
    try {
      // Out of this run's cancellation: cancelling the bulk cancels every node's run alike, whichever run started it.
      const child = await CancellationScope.nonCancellable(() =>
        startChild(introspectNode, {
          workflowId: introspectionWorkflowId(node.uuid),
          staticSummary: runSummary('introspect', { ...node, rack: input.selector.rack }, bulkId),
          parentClosePolicy: ParentClosePolicy.ABANDON,
          args: [{ nodeUuid: node.uuid, timeoutSeconds: options.nodeTimeoutSeconds, bootTimeoutSeconds: options.bootTimeoutSeconds, bootAttempts: options.bootAttempts, bulkId }],
          typedSearchAttributes: [
            { key: IntrospectionNodeKey, value: node.uuid },
            { key: IntrospectionStateKey, value: 'starting' },
            { key: IntrospectionBulkKey, value: bulkId },
            ...(node.name ? [{ key: IntrospectionNodeNameKey, value: node.name }] : []),
          ],
        }),
      );
      // Its signal normally tells first; a run that was terminated never sends one.
      void child.result().then(
        () => endedWithout(node.uuid, 'finished', null),
        (err) => endedWithout(node.uuid, 'failed', `its run ended without reporting: ${errorMessage(err)}`),
      );
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) await endedWithout(node.uuid, 'skipped', 'already being introspected');
      else await endedWithout(node.uuid, 'failed', errorMessage(err));
    }
  };

  // The runs of nodes started by earlier runs of this bulk are not its children: one terminated
  // never reports, and would hold its place in the window for ever.
  void CancellationScope.nonCancellable(async () => {
    for (;;) {
      await sleep(OVERDUE_CHECK_MS);
      const overdue = Date.now() - options.nodeTimeoutSeconds * 1000 - OVERDUE_GRACE_MS;
      for (const [uuid, since] of running) {
        if (since < overdue) await endedWithout(uuid, 'failed', `its run did not report its end within ${options.nodeTimeoutSeconds} s + 1 h; see workflow ${introspectionWorkflowId(uuid)}`);
      }
    }
  });

  let aborted = false;
  let page: BulkPageNode[] = [];
  let more = true;
  let startedThisRun = 0;
  try {
    for (;;) {
      if (!page.length) {
        if (!more) break;
        ({ nodes: page, total: c.total, more } = await registry.nextBulkPage(bulkId, c.afterSeq));
        report();
        continue;
      }
      if (!page[0].skipped) await condition(() => running.size < options.concurrency);
      // Every free place at once (one at a time when staggered): their starts go out together.
      const starting: Promise<void>[] = [];
      while (page.length && (page[0].skipped || running.size < options.concurrency) && !(options.staggerSeconds > 0 && starting.length)) {
        const node = page.shift()!;
        c.afterSeq = node.seq;
        if (node.skipped) c.skipped++;
        else starting.push(launch(node));
      }
      await Promise.all(starting);
      startedThisRun += starting.length;
      if (starting.length && options.staggerSeconds > 0) await sleep(options.staggerSeconds * 1000);
      const toDo = page.length > 0 || more;
      if (toDo && (startedThisRun >= options.continueAsNewAfter || workflowInfo().continueAsNewSuggested)) {
        await continueAsNew<typeof bulkIntrospection>({ ...input, carried: { ...c, running: [...running].map(([uuid, at]) => ({ uuid, startedAt: new Date(at).toISOString() })) } });
      }
    }
    await condition(() => running.size === 0);
  } catch (err) {
    if (!isCancellation(err)) throw err;
    aborted = true;
    await CancellationScope.nonCancellable(async () => {
      await Promise.all([...running.keys()].map((uuid) => getExternalWorkflowHandle(introspectionWorkflowId(uuid)).cancel().catch(() => undefined)));
      await condition(() => running.size === 0);
    });
  }

  await CancellationScope.nonCancellable(() => registry.finishBulk(bulkId, aborted));
  const finishedAt = new Date().toISOString();
  const skipped = aborted ? c.total - c.finished - c.failed : c.skipped;
  return { bulkId, state: aborted ? 'aborted' : 'finished', total: c.total, pending: 0, running: 0, finished: c.finished, failed: c.failed, skipped, startedAt: c.startedAt, finishedAt };
}

import {
  CancellationScope,
  condition,
  continueAsNew,
  defineQuery,
  isCancellation,
  ParentClosePolicy,
  patched,
  setCurrentDetails,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { BulkCounts } from '../../common/api-types';
import { countByPhase, describeFailuresByPhase, isBootPhase, type BootPhase, type FailuresByPhase } from '../../common/boot-phases';
import { registry } from '../activities';
import {
  IntrospectionBulkKey,
  IntrospectionNodeKey,
  IntrospectionNodeNameKey,
  IntrospectionStateKey,
  introspectionWorkflowId,
  NODE_REFUSED,
  runSummary,
  type BulkOptions,
  type BulkSelector,
  type NodeOutcomeState,
} from '../definitions';
import { introspectNode } from '../introspect-node';
import { errorMessage, failureDetail, failureType } from '../status';

// bulkIntrospection as it ran before its outcomes moved to the registry: it carried every
// outcome through continue-as-new and drained its window before continuing. Runs started then
// (and the runs they continue as) replay and finish here; the API still answers their progress
// query. Remove once none is left (list with
// `temporal workflow list --query "WorkflowType='bulkIntrospection' AND ExecutionStatus='Running'"`).

export interface NodeOutcome {
  uuid: string;
  name: string | null;
  state: NodeOutcomeState;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** A failed node: the furthest phase its last boot reached (absent in runs recorded before phases were). */
  bootPhase?: BootPhase | null;
}

export interface BulkProgress extends BulkCounts {
  bulkId: string;
  state: 'running' | 'finished' | 'aborted';
  startedAt: string;
  finishedAt: string | null;
  /** Nodes that have started (pending ones are counted only). */
  nodes: NodeOutcome[];
  /** The failed nodes counted by the phase their last boot stopped after (absent in results from before phases were). */
  failuresByPhase?: FailuresByPhase;
}

export interface LegacyBulkInput {
  bulkId: string;
  selector: Omit<BulkSelector, 'named'> & { nodes?: string[] };
  options: BulkOptions;
  /** Set when a run continues as new: what the earlier runs left to do and what they did. */
  carried?: { startedAt: string; queue: { uuid: string; name: string | null }[]; done: NodeOutcome[]; total: number };
}

export const bulkProgressQuery = defineQuery<BulkProgress>('progress');

interface Selection {
  nodes: { uuid: string; name: string | null }[];
  missing: string[];
  refused: { uuid: string; name: string | null; reason: string }[];
}
/** The activity these runs selected with, gone since: every run still in flight has made that call already. */
const legacyRegistry = registry as unknown as { selectNodes(selector: LegacyBulkInput['selector']): Promise<Selection> };

/** Marks bulk runs whose children are cancelled (and so power off) when the bulk run closes. */
const CHILDREN_CANCELLED_WITH_PARENT = 'bulk-children-request-cancel';

const MAX_ERROR_LENGTH = 500;

/** The phase a failed node's last boot stopped after, which its run's failure carries; null when unknown. */
function bootPhaseOf(err: unknown) {
  const phase = (failureDetail(err) as { bootPhase?: unknown } | undefined)?.bootPhase;
  return isBootPhase(phase) ? phase : null;
}

/**
 * Introspects many nodes as child workflows `introspection-<uuid>` with a sliding window of
 * `concurrency`. A failed node does not stop the others; a node already being introspected is
 * reported as skipped; cancelling the bulk cancels its running children (each powers its node
 * off). Continues as new every `continueAsNewAfter` nodes so history stays bounded.
 */
export async function bulkIntrospectionV1(input: LegacyBulkInput): Promise<BulkProgress> {
  const { bulkId, options } = input;
  let queue = input.carried?.queue;
  const outcomes = new Map<string, NodeOutcome>((input.carried?.done ?? []).map((o) => [o.uuid, o]));
  let total = input.carried?.total ?? 0;
  const startedAt = input.carried?.startedAt ?? new Date().toISOString();
  let aborted = false;
  let finishedAt: string | null = null;

  const progress = (): BulkProgress => {
    const nodes = [...outcomes.values()];
    const count = (state: NodeOutcome['state']) => nodes.filter((n) => n.state === state).length;
    return {
      bulkId,
      state: finishedAt ? (aborted ? 'aborted' : 'finished') : 'running',
      total,
      pending: queue?.length ?? 0,
      running: count('running'),
      finished: count('finished'),
      failed: count('failed'),
      skipped: count('skipped'),
      startedAt,
      finishedAt,
      nodes,
      failuresByPhase: countByPhase(nodes.filter((n) => n.state === 'failed').map((n) => n.bootPhase)),
    };
  };
  const report = () => {
    const p = progress();
    setCurrentDetails(
      `**${p.state}**: ${p.finished + p.failed + p.skipped}/${p.total} done — ` +
        `${p.running} running, ${p.finished} finished, ${p.failed} failed, ${p.skipped} skipped, ${p.pending} pending` +
        (p.failed ? `\n\nfailed: ${describeFailuresByPhase(p.failuresByPhase!)}` : ''),
    );
  };
  setHandler(bulkProgressQuery, progress);
  upsertSearchAttributes([{ key: IntrospectionBulkKey, value: bulkId }]);

  if (!queue) {
    const selection = await legacyRegistry.selectNodes(input.selector);
    queue = selection.nodes;
    const skip = (uuid: string, name: string | null, error: string) =>
      outcomes.set(uuid, { uuid, name, state: 'skipped', error, startedAt: null, finishedAt: null });
    selection.missing.forEach((ident) => skip(ident, null, 'no such node'));
    selection.refused.forEach((n) => skip(n.uuid, n.name, n.reason));
    total = queue.length + selection.missing.length + selection.refused.length;
  }
  report();

  const settle = (outcome: NodeOutcome, state: NodeOutcome['state'], error: string | null) => {
    outcome.state = state;
    outcome.error = error && error.slice(0, MAX_ERROR_LENGTH);
    outcome.finishedAt = new Date().toISOString();
    report();
  };

  const launch = async (node: { uuid: string; name: string | null }) => {
    const outcome: NodeOutcome = { ...node, state: 'running', error: null, startedAt: new Date().toISOString(), finishedAt: null };
    outcomes.set(node.uuid, outcome);
    report();
    try {
      const child = await startChild(introspectNode, {
        workflowId: introspectionWorkflowId(node.uuid),
        staticSummary: runSummary('introspect', { ...node, rack: input.selector.rack }, bulkId),
        // A bulk run that is terminated or fails still gets its running nodes powered off.
        ...(patched(CHILDREN_CANCELLED_WITH_PARENT) ? { parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL } : {}),
        args: [{ nodeUuid: node.uuid, timeoutSeconds: options.nodeTimeoutSeconds, bootTimeoutSeconds: options.bootTimeoutSeconds, bootAttempts: options.bootAttempts }],
        typedSearchAttributes: [
          { key: IntrospectionNodeKey, value: node.uuid },
          { key: IntrospectionStateKey, value: 'starting' },
          { key: IntrospectionBulkKey, value: bulkId },
          ...(node.name ? [{ key: IntrospectionNodeNameKey, value: node.name }] : []),
        ],
      });
      child.result().then(
        () => settle(outcome, 'finished', null),
        (err) => {
          // A node provided or put in maintenance while it queued is skipped, never rebooted.
          if (failureType(err) === NODE_REFUSED) return settle(outcome, 'skipped', errorMessage(err));
          outcome.bootPhase = bootPhaseOf(err);
          settle(outcome, 'failed', errorMessage(err));
        },
      );
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) settle(outcome, 'skipped', 'already being introspected');
      else settle(outcome, 'failed', errorMessage(err));
    }
  };

  const running = () => [...outcomes.values()].filter((o) => o.state === 'running').length;
  let startedThisRun = 0;
  const pending = queue;
  try {
    while (pending.length && startedThisRun < options.continueAsNewAfter) {
      await condition(() => running() < options.concurrency);
      await launch(pending.shift()!);
      startedThisRun++;
      if (pending.length && options.staggerSeconds > 0) await sleep(options.staggerSeconds * 1000);
    }
    await condition(() => running() === 0);
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Cancelling this scope also asked every running child to cancel: wait for them to power off.
    aborted = true;
    await CancellationScope.nonCancellable(() => condition(() => running() === 0));
    for (const node of pending.splice(0)) {
      outcomes.set(node.uuid, { ...node, state: 'skipped', error: 'bulk introspection aborted', startedAt: null, finishedAt: null });
    }
  }

  if (!aborted && pending.length) {
    await continueAsNew<typeof bulkIntrospectionV1>({ ...input, carried: { startedAt, queue: pending, done: [...outcomes.values()], total } });
  }
  finishedAt = new Date().toISOString();
  report();
  return progress();
}

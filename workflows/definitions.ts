import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BulkCounts } from '../common/api-types';
import type { BootPhaseTimes, ReportedPhase } from '../common/boot-phases';

// Shared by the workflows and their callers (api/): names only, no workflow logic.

export const INTROSPECTION_STATES = ['starting', 'waiting', 'processing', 'finished', 'error', 'aborting', 'reapplying'] as const;
export type IntrospectionState = (typeof INTROSPECTION_STATES)[number];

export interface IntrospectionStatus {
  state: IntrospectionState;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
  /** What the run is doing now, for people: "waiting for agent, boot attempt 1/2, powered on at ...". */
  detail: string;
  bootAttempt: number;
  bootAttempts: number;
  poweredOnAt: string | null;
  /** How far the current boot attempt got, and when (earlier attempts' phases are dropped). */
  bootPhases: BootPhaseTimes;
}

export interface IntrospectNodeInput {
  nodeUuid: string;
  /** Overall limit for the agent to call back, seconds (ironic-inspector's timeout, default 3600). */
  timeoutSeconds: number;
  /** A boot whose agent has not called back within this many seconds is retried. */
  bootTimeoutSeconds: number;
  /** Boots tried before giving up (PXE/DHCP saturate in bulk; a second boot often works). */
  bootAttempts: number;
  /** The bulk run that started it: its outcome goes to that bulk's rows, and its end to that bulk. */
  bulkId?: string;
  /** false: no BMC command at all, the run waits for the agent of a server booted by someone else (ironic-inspector's manage_boot). */
  manageBoot?: boolean;
}

/**
 * An agent's post, stored by the API: its object's name, and whether its logs are stored beside
 * it (`logs`; absent from deliveries of an API from before it said so).
 */
export interface AgentDelivery {
  objectName: string;
  logs?: boolean;
}

/** A server discovery just enrolled, and the agent post (already stored) that made it known. */
export interface DiscoverNodeInput extends AgentDelivery {
  nodeUuid: string;
}

/** Every run that introspects a node (introspectNode, reapplyNode, discoverNode): one at a time per node. */
export const introspectionWorkflowId = (nodeUuid: string) => `introspection-${nodeUuid}`;

/** What a node's run is called in the Temporal UI's list (its summary), where uuids alone find nothing. */
export function runSummary(
  what: 'introspect' | 'reapply' | 'discover' | 'verify BMC of',
  node: { uuid: string; name: string | null; rack?: unknown },
  bulkId?: string,
): string {
  const where = [typeof node.rack === 'string' && node.rack ? `rack ${node.rack}` : null, bulkId ? `bulk ${bulkId}` : null].filter(Boolean);
  return `${what} ${node.name ?? node.uuid}${where.length ? ` (${where.join(', ')})` : ''}`;
}

/** A bulk run's summary: what it selected. */
export function bulkSummary(selector: BulkSelector): string {
  const parts = [
    selector.named ? `${selector.named} named node(s)` : null,
    selector.allManageable ? 'all manageable nodes' : null,
    selector.rack ? `rack ${selector.rack}` : null,
    selector.resourceClass ? `resource class ${selector.resourceClass}` : null,
    selector.namePrefix ? `names ${selector.namePrefix}*` : null,
  ].filter(Boolean);
  return `bulk introspection of ${parts.join(', ') || 'the selection'}`;
}

export const verificationWorkflowId = (nodeUuid: string) => `verify-${nodeUuid}`;

/** The failure type of a run whose node may not be introspected (any more): it ends, the node untouched. */
export const NODE_REFUSED = 'NodeRefused';

export const statusQuery = defineQuery<IntrospectionStatus>('status');
/** The API delivers the agent's data (already stored in S3) by naming its object. */
export const deliverDataUpdate = defineUpdate<void, [AgentDelivery]>('deliverData');
/** The API tells a waiting run that its node reached a phase of its boot (a fetch from the boot service, the agent's start). */
export const bootPhaseSignal = defineSignal<[{ phase: ReportedPhase; at: string }]>('bootPhase');

/** The task queue of BMC activities: a worker there limits BMC commands per second for all workers. */
export const bmcTaskQueue = (mainQueue: string) => `${mainQueue}-bmc`;

export const IntrospectionStateKey = defineSearchAttributeKey('IntrospectionState', SearchAttributeType.KEYWORD);
export const IntrospectionNodeKey = defineSearchAttributeKey('IntrospectionNode', SearchAttributeType.KEYWORD);
/** The node's name when the run started: `IntrospectionNodeName = "rack2-4-compute"` finds its runs in the UI. */
export const IntrospectionNodeNameKey = defineSearchAttributeKey('IntrospectionNodeName', SearchAttributeType.KEYWORD);
/** On a bulk run and on every per-node run it started: lists the runs of one bulk in the UI and API. */
export const IntrospectionBulkKey = defineSearchAttributeKey('IntrospectionBulk', SearchAttributeType.KEYWORD);
/** Every search attribute the workflows set: registered where missing at startup (common/search-attributes.ts). */
export const SEARCH_ATTRIBUTE_KEYS = [IntrospectionStateKey, IntrospectionNodeKey, IntrospectionNodeNameKey, IntrospectionBulkKey];

// Bulk introspection

export interface BulkSelector {
  /** How many node names or uuids the request gave: the registry keeps them, never the workflow input. */
  named?: number;
  allManageable?: boolean;
  rack?: string;
  resourceClass?: string;
  namePrefix?: string;
}

export interface BulkOptions {
  concurrency: number;
  nodeTimeoutSeconds: number;
  bootTimeoutSeconds: number;
  bootAttempts: number;
  /** Pause between two power-ons, seconds. */
  staggerSeconds: number;
  /** Nodes started per run before continuing as new (keeps history bounded). */
  continueAsNewAfter: number;
}

export const NODE_OUTCOME_STATES = ['pending', 'running', 'finished', 'failed', 'skipped'] as const;
export type NodeOutcomeState = (typeof NODE_OUTCOME_STATES)[number];
export type NodeEndState = Exclude<NodeOutcomeState, 'pending' | 'running'>;

/** A node of a bulk's selection: one to start, or one the selection skipped (its reason is in the registry). */
export interface BulkPageNode {
  seq: number;
  uuid: string;
  name: string | null;
  skipped: boolean;
}

/** The next nodes of a bulk's selection, in order; `more`: there may be further ones. */
export interface BulkPage {
  nodes: BulkPageNode[];
  total: number;
  more: boolean;
}

/** What a bulk run hands the next through continue-as-new: counters, a cursor and the (at most `concurrency`) nodes running. */
export interface BulkCarried {
  startedAt: string;
  /** The seq of the last node of the selection passed: started, or counted as skipped. */
  afterSeq: number;
  total: number;
  finished: number;
  failed: number;
  skipped: number;
  running: { uuid: string; startedAt: string }[];
}

export interface BulkInput {
  bulkId: string;
  selector: BulkSelector;
  options: BulkOptions;
  carried?: BulkCarried;
}

export interface BulkResult extends BulkCounts {
  bulkId: string;
  state: 'finished' | 'aborted';
  startedAt: string;
  finishedAt: string;
}

/** A node's run tells its bulk that it ended; sent by workflow id, so whichever run of the bulk is current gets it. */
export const bulkNodeEndedSignal = defineSignal<[{ nodeUuid: string; state: NodeEndState }]>('bulkNodeEnded');
export const bulkWorkflowId = (id: string) => `bulk-${id}`;

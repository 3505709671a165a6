import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineUpdate } from '@temporalio/workflow';

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
}

export interface IntrospectNodeInput {
  nodeUuid: string;
  /** Overall limit for the agent to call back, seconds (ironic-inspector's timeout, default 3600). */
  timeoutSeconds: number;
  /** A boot whose agent has not called back within this many seconds is retried. */
  bootTimeoutSeconds: number;
  /** Boots tried before giving up (PXE/DHCP saturate in bulk; a second boot often works). */
  bootAttempts: number;
}

export const introspectionWorkflowId = (nodeUuid: string) => `introspection-${nodeUuid}`;

export const statusQuery = defineQuery<IntrospectionStatus>('status');
/** The API delivers the agent's data (already stored in S3) by naming its object. */
export const deliverDataUpdate = defineUpdate<void, [{ objectName: string }]>('deliverData');

export const IntrospectionStateKey = defineSearchAttributeKey('IntrospectionState', SearchAttributeType.KEYWORD);
export const IntrospectionNodeKey = defineSearchAttributeKey('IntrospectionNode', SearchAttributeType.KEYWORD);
/** `name=type` pairs for `temporal server start-dev --search-attribute`. */
export const SEARCH_ATTRIBUTES = ['IntrospectionState=Keyword', 'IntrospectionNode=Keyword'];

import { isCancellation, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { IntrospectionNodeKey, IntrospectionStateKey, type IntrospectionState, type IntrospectionStatus } from './definitions';

export function newStatus(state: IntrospectionState, detail: string, bootAttempts: number): IntrospectionStatus {
  return { state, error: null, startedAt: new Date().toISOString(), finishedAt: null, detail, bootAttempt: 0, bootAttempts, poweredOnAt: null };
}

/** Records a state change where people look: the status query, search attributes, and the UI's current details. */
export function publishState(status: IntrospectionStatus, nodeUuid: string, state: IntrospectionState, detail: string): void {
  status.state = state;
  status.detail = detail;
  upsertSearchAttributes([
    { key: IntrospectionStateKey, value: state },
    { key: IntrospectionNodeKey, value: nodeUuid },
  ]);
  setCurrentDetails(`**${state}**: ${detail}`);
}

/** The innermost message of a failure (activity failures wrap the activity's own error). */
export function errorMessage(err: unknown): string {
  if (isCancellation(err)) return 'Canceled by operator';
  let e = err as { message?: string; cause?: unknown };
  while (e?.cause && (e.cause as { message?: string }).message) e = e.cause as typeof e;
  return e?.message ?? String(err);
}

import { ApplicationFailure, isCancellation, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { IntrospectionNodeKey, IntrospectionStateKey, type IntrospectionState, type IntrospectionStatus } from './definitions';

export function newStatus(state: IntrospectionState, detail: string, bootAttempts: number): IntrospectionStatus {
  return { state, error: null, startedAt: new Date().toISOString(), finishedAt: null, detail, bootAttempt: 0, bootAttempts, poweredOnAt: null, bootPhases: {} };
}

/** Records a state change where people look: the status query, search attributes, and the UI's current details. */
export function publishState(status: IntrospectionStatus, nodeUuid: string, state: IntrospectionState, detail: string): void {
  status.state = state;
  upsertSearchAttributes([
    { key: IntrospectionStateKey, value: state },
    { key: IntrospectionNodeKey, value: nodeUuid },
  ]);
  showDetail(status, detail);
}

/**
 * What a run calls to change its state: shown at once (status query, the UI's current details),
 * and upserted as the IntrospectionState search attribute only when it differs from the last
 * one set, `initial` being the one the run was started with (each upsert is a history event and a
 * visibility write). `quietly`: shown but not upserted, for a state the run leaves within the same
 * workflow task, whose upsert would reach Temporal only together with the next one.
 */
export function stateChanges(status: IntrospectionStatus, initial: IntrospectionState): (state: IntrospectionState, detail: string, quietly?: boolean) => void {
  let searchable = initial;
  return (state, detail, quietly = false) => {
    status.state = state;
    if (state !== searchable && !quietly) {
      upsertSearchAttributes([{ key: IntrospectionStateKey, value: state }]);
      searchable = state;
    }
    showDetail(status, detail);
  };
}

/** Changes what the run says it is doing without changing its state (so without a command in its history). */
export function showDetail(status: IntrospectionStatus, detail: string): void {
  status.detail = detail;
  setCurrentDetails(`**${status.state}**: ${detail}`);
}

/** The innermost message of a failure (activity failures wrap the activity's own error). */
export function errorMessage(err: unknown): string {
  if (isCancellation(err)) return 'Canceled by operator';
  let e = err as { message?: string; cause?: unknown };
  while (e?.cause && (e.cause as { message?: string }).message) e = e.cause as typeof e;
  return e?.message ?? String(err);
}

/** The first detail of the innermost ApplicationFailure in a failure's causes that has one. */
export function failureDetail(err: unknown): unknown {
  let detail: unknown;
  for (let e = err as { cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e instanceof ApplicationFailure && e.details?.length) detail = e.details[0];
  }
  return detail;
}

/** The type of the innermost ApplicationFailure in a failure's causes (e.g. an activity's own), if any. */
export function failureType(err: unknown): string | undefined {
  let type: string | undefined;
  for (let e = err as { type?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e instanceof ApplicationFailure && typeof e.type === 'string') type = e.type;
  }
  return type;
}

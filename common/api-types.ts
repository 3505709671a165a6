// Bodies of the inspector API that both the server (api/) and its clients (cli/, agent/) handle.

/** What the callback's 409 says when the run will wait for the data in a moment: the agent tries again. */
export const NOT_WAITING_YET = 'not waiting for data yet';

/** An introspection's status, as ironic-inspector's v1 API answers it (plus `detail`). */
export interface IntrospectionStatusBody {
  uuid: string;
  state: string;
  finished: boolean;
  error: string | null;
  started_at: string | null;
  finished_at: string | null;
  /** While running: what it is doing now and since when, e.g. "waiting for agent, boot attempt 1/2, powered on at ...". */
  detail?: string | null;
}

/** How many nodes of a bulk run are in each state. */
export interface BulkCounts {
  total: number;
  pending: number;
  running: number;
  finished: number;
  failed: number;
  skipped: number;
}

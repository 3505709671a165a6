// Bodies of the inspector API that both the server (api/) and its clients (cli/, agent/) handle.

import type { BootPhase } from './boot-phases';

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
  /** While running: what it is doing now and since when, e.g. "waiting for agent, boot attempt 1/2: kernel fetched at ...". */
  detail?: string | null;
  /** Ours, for an introspection's last boot: the furthest phase it reached (see common/boot-phases.ts). */
  boot_phase?: BootPhase | null;
  /** Every phase that boot reached, in boot order, with when. */
  boot_phases?: { phase: BootPhase; at: string }[];
  /** What stopping after boot_phase usually means; null once the data came (or before any boot). */
  hint?: string | null;
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

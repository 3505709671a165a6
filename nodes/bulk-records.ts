import type { Kysely, Selectable } from 'kysely';
import type { BulkCounts } from '../common/api-types';
import { isBootPhase, type FailuresByPhase } from '../common/boot-phases';
import { NotFoundError } from '../common/errors';
import type { BulkSelector, NodeOutcomeState } from '../workflows/definitions';
import { BulkSelection } from './bulk-selection';
import { now } from './db';
import type { NodeRecord } from './records';
import type { NodeFilter } from './schema';
import type { BulkNodesTable, BulksTable, Database } from './tables';

// Bulk runs and their nodes' outcomes: written by the API (the run and the names it was given)
// and by the activities the runs already call (selection, a node's start and end), read by
// the API with a few queries whatever the size of the run.

export type BulkRecord = Selectable<BulksTable>;
/** A node of a bulk, with the state of its introspection when that run is this bulk's. */
export type BulkNodeRecord = Selectable<BulkNodesTable> & { run_state: string | null; run_started_at: string | null; run_updated_at: string | null };

export interface BulkNodeQuery {
  /** The uuid (or, for a name that matched no node, the name) of the last node of the previous page. */
  marker?: string;
  limit: number;
  states?: string[];
}

const INSERT_CHUNK = 1000;
const MAX_ERROR_LENGTH = 500;
export const ABORTED_REASON = 'bulk introspection aborted';

/**
 * The counts of a bulk from its rows by state. Until the selection ends, `total` is the count
 * taken when it started; nodes not yet selected are pending, and skipped once the run is aborted.
 */
export function bulkCounts(bulk: Pick<BulkRecord, 'total' | 'state'>, byState: Partial<Record<string, number>>): BulkCounts {
  const n = (state: string) => byState[state] ?? 0;
  const rows = Object.values(byState).reduce<number>((a, b) => a + (b ?? 0), 0);
  const total = Math.max(bulk.total ?? 0, rows);
  const started = n('running') + n('finished') + n('failed') + n('skipped');
  const pending = total - started;
  const aborted = bulk.state === 'aborted';
  return { total, pending: aborted ? 0 : pending, running: n('running'), finished: n('finished'), failed: n('failed'), skipped: n('skipped') + (aborted ? pending : 0) };
}

export class BulkRecords {
  readonly selection: BulkSelection;

  constructor(
    private readonly db: Kysely<Database>,
    listNodes: (filter: NodeFilter) => Promise<NodeRecord[]>,
  ) {
    this.selection = new BulkSelection(db, listNodes);
  }

  /** A new bulk run, before its workflow starts; named nodes wait in bulk_names for the selection. */
  async create(id: string, selector: BulkSelector, names: string[] = []): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('bulks')
        .values({ id, selector: JSON.stringify(selector), total: selector.named ? names.length : null, next_seq: 0, select_after: null, select_done: 0, state: 'running', started_at: now(), finished_at: null })
        .execute();
      for (let i = 0; i < names.length; i += INSERT_CHUNK) {
        await tx.insertInto('bulk_names').values(names.slice(i, i + INSERT_CHUNK).map((ident, k) => ({ bulk_id: id, seq: i + k, ident }))).execute();
      }
    });
  }

  /** A bulk whose workflow could not start (its names and nodes go with it). */
  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('bulks').where('id', '=', id).execute();
  }

  /** The node's run has begun: it passed the check that it may be introspected. */
  async nodeRunning(bulkId: string, nodeUuid: string): Promise<void> {
    await this.db
      .updateTable('bulk_nodes')
      .set({ state: 'running', started_at: now() })
      .where('bulk_id', '=', bulkId)
      .where('node_uuid', '=', nodeUuid)
      .where('state', '=', 'pending')
      .execute();
  }

  /** The node's run ended, or the node was skipped. */
  async nodeEnded(bulkId: string, nodeUuid: string, outcome: { state: Exclude<NodeOutcomeState, 'pending' | 'running'>; error: string | null; bootPhase?: string | null }): Promise<void> {
    await this.db
      .updateTable('bulk_nodes')
      .set({ state: outcome.state, error: outcome.error && outcome.error.slice(0, MAX_ERROR_LENGTH), boot_phase: outcome.bootPhase ?? null, finished_at: now() })
      .where('bulk_id', '=', bulkId)
      .where('node_uuid', '=', nodeUuid)
      .where('state', 'in', ['pending', 'running'])
      .execute();
  }

  /** The bulk run ended; when aborted, the nodes it selected but never started are skipped. */
  async finish(bulkId: string, aborted: boolean): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      if (aborted) {
        await tx.updateTable('bulk_nodes').set({ state: 'skipped', error: ABORTED_REASON }).where('bulk_id', '=', bulkId).where('state', '=', 'pending').execute();
      }
      await tx.updateTable('bulks').set({ state: aborted ? 'aborted' : 'finished', finished_at: now() }).where('id', '=', bulkId).where('state', '=', 'running').execute();
    });
  }

  async get(id: string): Promise<BulkRecord | undefined> {
    return this.db.selectFrom('bulks').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Newest first by (started_at, id); `marker` is the id of the last bulk of the previous page. */
  async list(query: { marker?: string; limit: number; state?: string }): Promise<BulkRecord[]> {
    let q = this.db.selectFrom('bulks').selectAll().orderBy('started_at', 'desc').orderBy('id', 'desc').limit(query.limit);
    if (query.state) q = q.where('state', '=', query.state);
    if (query.marker) {
      const marker = await this.get(query.marker);
      if (!marker) throw new NotFoundError(`Bulk introspection not found for marker: ${query.marker}`);
      q = q.where((eb) => eb.or([eb('started_at', '<', marker.started_at), eb.and([eb('started_at', '=', marker.started_at), eb('id', '<', marker.id)])]));
    }
    return q.execute();
  }

  /** The counts of each bulk, in one query. */
  async counts(bulks: BulkRecord[]): Promise<Map<string, BulkCounts>> {
    const byBulk = new Map<string, Record<string, number>>(bulks.map((b) => [b.id, {}]));
    if (bulks.length) {
      const rows = await this.db
        .selectFrom('bulk_nodes')
        .select((eb) => ['bulk_id', 'state', eb.fn.countAll<number>().as('n')])
        .where('bulk_id', 'in', bulks.map((b) => b.id))
        .groupBy(['bulk_id', 'state'])
        .execute();
      for (const r of rows) byBulk.get(r.bulk_id)![r.state] = Number(r.n);
    }
    return new Map(bulks.map((b) => [b.id, bulkCounts(b, byBulk.get(b.id)!)]));
  }

  /** The failed nodes counted by the phase their last boot stopped after. */
  async failuresByPhase(bulkId: string): Promise<FailuresByPhase> {
    const rows = await this.db
      .selectFrom('bulk_nodes')
      .select((eb) => ['boot_phase', eb.fn.countAll<number>().as('n')])
      .where('bulk_id', '=', bulkId)
      .where('state', '=', 'failed')
      .groupBy('boot_phase')
      .execute();
    const counts: FailuresByPhase = {};
    for (const r of rows) {
      const key = isBootPhase(r.boot_phase) ? r.boot_phase : 'none';
      counts[key] = (counts[key] ?? 0) + Number(r.n);
    }
    return counts;
  }

  /** A page of the bulk's nodes in selection order, each with its run's state while that is this bulk's. */
  async nodes(bulkId: string, query: BulkNodeQuery): Promise<BulkNodeRecord[]> {
    let q = this.db
      .selectFrom('bulk_nodes as b')
      .leftJoin('introspections as i', (join) => join.onRef('i.node_uuid', '=', 'b.node_uuid').onRef('i.bulk_id', '=', 'b.bulk_id'))
      .selectAll('b')
      .select(['i.state as run_state', 'i.started_at as run_started_at', 'i.updated_at as run_updated_at'])
      .where('b.bulk_id', '=', bulkId)
      .orderBy('b.seq')
      .limit(query.limit);
    if (query.states?.length) q = q.where('b.state', 'in', query.states);
    if (query.marker) {
      const marker = await this.db.selectFrom('bulk_nodes').select('seq').where('bulk_id', '=', bulkId).where('node_uuid', '=', query.marker).executeTakeFirst();
      if (!marker) throw new NotFoundError(`Node not found for marker: ${query.marker}`);
      q = q.where('b.seq', '>', marker.seq);
    }
    return q.execute();
  }
}

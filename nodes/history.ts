import type { Kysely, Selectable } from 'kysely';
import { NotFoundError } from '../common/errors';
import { backoff, now, uniqueViolation } from './db';
import type { Database, IntrospectionHistoryTable } from './tables';

// Every accepted introspection of a node, newest last: the index of the data kept in S3 under
// the names of the run that stored it (activities/history.ts writes both, in the processing
// activity). Ids count up per node from 1 and are never reused, also after older entries went.

/** What made the data: an agent's post, the BMC's answers over Redfish, a discovered server's post, or a reapply. */
export type HistorySource = 'introspection' | 'out-of-band' | 'discovery' | 'reapply';

export type HistoryRecord = Selectable<IntrospectionHistoryTable>;

/** What a run stored: the rest (id, start, bulk) comes from the registry. */
export interface StoredRun {
  nodeUuid: string;
  runId: string;
  source: HistorySource;
  sha256: string;
  processedBytes: number;
  unprocessedBytes: number;
}

export interface HistoryQuery {
  /** The id of the last entry of the previous page. */
  marker?: number;
  limit: number;
}

const MAX_WRITE_ATTEMPTS = 5;

export class IntrospectionHistory {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Records a run's stored data as the node's newest entry, timed by the node's introspection
   * (its start and bulk). The same run recorded again (a retried activity) updates its entry.
   */
  async record(run: StoredRun): Promise<HistoryRecord> {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await backoff(attempt);
      try {
        return await this.tryRecord(run);
      } catch (err) {
        // another attempt of the same store took the id (or the run) meanwhile
        if (!uniqueViolation(err) || attempt + 1 >= MAX_WRITE_ATTEMPTS) throw err;
      }
    }
  }

  private async tryRecord(run: StoredRun): Promise<HistoryRecord> {
    const finishedAt = now();
    const stored = { sha256: run.sha256, processed_bytes: run.processedBytes, unprocessed_bytes: run.unprocessedBytes, finished_at: finishedAt };
    const existing = await this.ofRun(run.nodeUuid, run.runId);
    if (existing) {
      await this.db.updateTable('introspection_history').set(stored).where('node_uuid', '=', run.nodeUuid).where('id', '=', existing.id).execute();
      return { ...existing, ...stored };
    }
    const started = await this.db.selectFrom('introspections').select(['started_at', 'bulk_id']).where('node_uuid', '=', run.nodeUuid).executeTakeFirst();
    const last = await this.db
      .selectFrom('introspection_history')
      .select((eb) => eb.fn.max('id').as('id'))
      .where('node_uuid', '=', run.nodeUuid)
      .executeTakeFirst();
    const row: HistoryRecord = {
      node_uuid: run.nodeUuid,
      id: Number(last?.id ?? 0) + 1,
      run_id: run.runId,
      source: run.source,
      bulk_id: started?.bulk_id ?? null,
      started_at: started?.started_at ?? finishedAt,
      ...stored,
    };
    await this.db.insertInto('introspection_history').values(row).execute();
    return row;
  }

  /** The entry a workflow run recorded, if it has. */
  async ofRun(nodeUuid: string, runId: string): Promise<HistoryRecord | undefined> {
    return this.db.selectFrom('introspection_history').selectAll().where('node_uuid', '=', nodeUuid).where('run_id', '=', runId).executeTakeFirst();
  }

  /** Newest first; `marker` is the id of the last entry of the previous page. */
  async list(nodeUuid: string, query: HistoryQuery): Promise<HistoryRecord[]> {
    let q = this.db.selectFrom('introspection_history').selectAll().where('node_uuid', '=', nodeUuid).orderBy('id', 'desc').limit(query.limit);
    if (query.marker !== undefined) {
      await this.getOrThrow(nodeUuid, query.marker, 'marker');
      q = q.where('id', '<', query.marker);
    }
    return q.execute();
  }

  /** The entry, or a 404 naming `parameter` (the query or path parameter that gave the id). */
  async getOrThrow(nodeUuid: string, id: number, parameter = 'id'): Promise<HistoryRecord> {
    const row = await this.db.selectFrom('introspection_history').selectAll().where('node_uuid', '=', nodeUuid).where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError(`${parameter}: node ${nodeUuid} has no introspection ${id} in its history`);
    return row;
  }

  /** The entries beyond the newest `keep` (0: none, every entry is kept). */
  async beyond(nodeUuid: string, keep: number): Promise<HistoryRecord[]> {
    if (keep === 0) return [];
    const entries = this.db.selectFrom('introspection_history').where('node_uuid', '=', nodeUuid);
    const oldestKept = await entries.select('id').orderBy('id', 'desc').limit(1).offset(keep - 1).executeTakeFirst();
    if (!oldestKept) return [];
    return entries.selectAll().where('id', '<', oldestKept.id).orderBy('id').execute();
  }

  async remove(nodeUuid: string, ids: number[]): Promise<void> {
    if (!ids.length) return;
    await this.db.deleteFrom('introspection_history').where('node_uuid', '=', nodeUuid).where('id', 'in', ids).execute();
  }
}

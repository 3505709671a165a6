import type { Kysely, Selectable } from 'kysely';
import { NotFoundError } from '../common/errors';
import { now } from './db';
import type { Database, IntrospectionsTable } from './tables';

// Each node's latest introspection, written by the activities its run already calls, so that
// `GET /v1/introspection` is one query however many nodes there are.

export type IntrospectionRecord = Selectable<IntrospectionsTable>;

export interface IntrospectionListQuery {
  /** The uuid of the last node of the previous page (ironic-inspector's marker). */
  marker?: string;
  limit: number;
  states?: string[];
  bulkId?: string;
}

export class IntrospectionRecords {
  constructor(private readonly db: Kysely<Database>) {}

  /** A new run of the node's introspection, in `state`. */
  async begin(nodeUuid: string, state: string, bulkId: string | null = null): Promise<void> {
    const at = now();
    const row = { state, error: null, bulk_id: bulkId, started_at: at, finished_at: null, updated_at: at };
    await this.db
      .insertInto('introspections')
      .values({ node_uuid: nodeUuid, ...row })
      .onConflict((oc) => oc.column('node_uuid').doUpdateSet(row))
      .execute();
  }

  /** The node's run moves on to `state` (under way again, if an attempt had ended it); a node without one begins one (a discovered node's). */
  async advance(nodeUuid: string, state: string): Promise<void> {
    const moved = await this.db
      .updateTable('introspections')
      .set({ state, error: null, finished_at: null, updated_at: now() })
      .where('node_uuid', '=', nodeUuid)
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) === 0) await this.begin(nodeUuid, state);
  }

  /** The node's run ended: finished, or error with why. */
  async end(nodeUuid: string, error: string | null): Promise<void> {
    const at = now();
    await this.db
      .updateTable('introspections')
      .set({ state: error ? 'error' : 'finished', error, finished_at: at, updated_at: at })
      .where('node_uuid', '=', nodeUuid)
      .execute();
  }

  /** Newest first by (started_at, uuid), as ironic-inspector pages its list. */
  async list(query: IntrospectionListQuery): Promise<IntrospectionRecord[]> {
    let q = this.db.selectFrom('introspections').selectAll().orderBy('started_at', 'desc').orderBy('node_uuid', 'desc').limit(query.limit);
    if (query.states?.length) q = q.where('state', 'in', query.states);
    if (query.bulkId) q = q.where('bulk_id', '=', query.bulkId);
    if (query.marker) {
      const marker = await this.db.selectFrom('introspections').select(['node_uuid', 'started_at']).where('node_uuid', '=', query.marker).executeTakeFirst();
      if (!marker) throw new NotFoundError(`Node not found for marker: ${query.marker}`);
      q = q.where((eb) =>
        eb.or([eb('started_at', '<', marker.started_at), eb.and([eb('started_at', '=', marker.started_at), eb('node_uuid', '<', marker.node_uuid)])]),
      );
    }
    return q.execute();
  }
}

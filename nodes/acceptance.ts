import type { Kysely } from 'kysely';
import type { AcceptanceDifference, AcceptanceReport, AcceptanceResult, Miscabling, RackReport } from '../common/acceptance-result';
import { NotFoundError } from '../common/errors';
import { now } from './db';
import type { Database } from './tables';

// Each introspection's acceptance (written by processing), and a bulk run's acceptance report per
// rack, read a page of the bulk's nodes at a time with one query per page.

const REPORT_PAGE = 500;

const newRack = (rack: string | null): RackReport => ({
  rack,
  conforming: 0,
  not_conforming: 0,
  not_checked: 0,
  failed_introspection: 0,
  skipped: 0,
  in_progress: 0,
  non_conforming_nodes: [],
  failed_nodes: [],
  miscabled_ports: [],
});

function rackOf(extra: string | null): string | null {
  if (!extra) return null;
  const rack = (JSON.parse(extra) as Record<string, unknown>).rack;
  return typeof rack === 'string' ? rack : null;
}

export class AcceptanceRecords {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * The node's latest introspection's acceptance (replacing what a reapply of it had), keeping
   * the node's newest `keep` rows as its history keeps its entries (HISTORY_KEEP; 0: all).
   */
  async record(nodeUuid: string, result: AcceptanceResult, keep: number): Promise<void> {
    const run = await this.db.selectFrom('introspections').select(['started_at', 'bulk_id']).where('node_uuid', '=', nodeUuid).executeTakeFirst();
    const row = {
      bulk_id: run?.bulk_id ?? null,
      rack: result.rack,
      status: result.status,
      profile: result.profile,
      differences: JSON.stringify(result.differences),
      miscabled: JSON.stringify(result.miscabled),
      checked_at: now(),
    };
    await this.db
      .insertInto('acceptance')
      .values({ node_uuid: nodeUuid, started_at: run?.started_at ?? row.checked_at, ...row })
      .onConflict((oc) => oc.columns(['node_uuid', 'started_at']).doUpdateSet(row))
      .execute();
    if (keep === 0) return;
    const oldest = await this.db
      .selectFrom('acceptance')
      .select('started_at')
      .where('node_uuid', '=', nodeUuid)
      .orderBy('started_at', 'desc')
      .offset(keep - 1)
      .limit(1)
      .executeTakeFirst();
    if (oldest) await this.db.deleteFrom('acceptance').where('node_uuid', '=', nodeUuid).where('started_at', '<', oldest.started_at).execute();
  }

  /**
   * The bulk's nodes by rack: each node's outcome in the bulk and, for one that finished, the
   * acceptance of its latest introspection in this bulk (none: not checked).
   */
  async report(bulkId: string): Promise<AcceptanceReport> {
    const bulk = await this.db.selectFrom('bulks').select(['id', 'state']).where('id', '=', bulkId).executeTakeFirst();
    if (!bulk) throw new NotFoundError(`Bulk introspection ${bulkId} not found`);
    const racks = new Map<string | null, RackReport>();
    for (let after = -1; ; ) {
      const rows = await this.db
        .selectFrom('bulk_nodes as bn')
        .leftJoin('nodes as n', 'n.uuid', 'bn.node_uuid')
        .leftJoin('acceptance as a', (join) =>
          join
            .onRef('a.node_uuid', '=', 'bn.node_uuid')
            .onRef('a.bulk_id', '=', 'bn.bulk_id')
            .on((eb) =>
              eb(
                'a.started_at',
                '=',
                eb
                  .selectFrom('acceptance as a2')
                  .select((e) => e.fn.max('a2.started_at').as('latest'))
                  .whereRef('a2.node_uuid', '=', 'bn.node_uuid')
                  .whereRef('a2.bulk_id', '=', 'bn.bulk_id'),
              ),
            ),
        )
        .select(['bn.seq', 'bn.node_uuid', 'bn.name', 'bn.state', 'bn.error', 'n.extra', 'a.status', 'a.rack', 'a.profile', 'a.differences', 'a.miscabled'])
        .where('bn.bulk_id', '=', bulkId)
        .where('bn.seq', '>', after)
        .orderBy('bn.seq')
        .limit(REPORT_PAGE)
        .execute();
      for (const r of rows) {
        const rack = r.status ? r.rack : rackOf(r.extra);
        const entry = racks.get(rack) ?? newRack(rack);
        racks.set(rack, entry);
        const who = { uuid: r.node_uuid, name: r.name };
        if (r.state === 'failed') {
          entry.failed_introspection++;
          entry.failed_nodes.push({ ...who, error: r.error });
        } else if (r.state === 'skipped') entry.skipped++;
        else if (r.state !== 'finished') entry.in_progress++;
        else if (r.status === 'pass') entry.conforming++;
        else if (r.status === 'fail') {
          entry.not_conforming++;
          entry.non_conforming_nodes.push({ ...who, profile: r.profile, differences: JSON.parse(r.differences!) as AcceptanceDifference[] });
          for (const m of JSON.parse(r.miscabled!) as Miscabling[]) entry.miscabled_ports.push({ ...who, ...m });
        } else entry.not_checked++;
      }
      if (rows.length < REPORT_PAGE) break;
      after = rows[rows.length - 1].seq;
    }
    const sorted = [...racks.values()].sort((a, b) => (a.rack === null ? 1 : b.rack === null ? -1 : a.rack.localeCompare(b.rack)));
    return { bulk_id: bulk.id, state: bulk.state, racks: sorted };
  }
}

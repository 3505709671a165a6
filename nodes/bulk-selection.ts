import type { Kysely } from 'kysely';
import { NotFoundError } from '../common/errors';
import type { BulkPage, BulkSelector } from '../workflows/definitions';
import { introspectionRefusal } from './provision-states';
import { toNode, type NodeRecord } from './records';
import { UUID_RE, type NodeFilter } from './schema';
import type { Database } from './tables';

// A bulk run's selection, a page at a time: the names it was given (bulk_names) or the nodes its
// filters match, in uuid order. Each page becomes rows of bulk_nodes, pending or skipped with
// why, so the workflow never holds more than a page and the API reads outcomes from the rows.

/** Source rows looked at per step: names, or nodes the filters' SQL part matches. */
export const SELECTION_STEP = 500;
const INSERT_CHUNK = 500;

/** A selected node before it has a row: skipped (with why) or to introspect. */
interface Candidate {
  uuid: string;
  name: string | null;
  skip: string | null;
}

type ListNodes = (filter: NodeFilter) => Promise<NodeRecord[]>;

const candidateOf = (node: NodeRecord): Candidate => ({ uuid: node.uuid, name: node.name, skip: introspectionRefusal(node)?.message ?? null });

/** The filters' part that SQL applies; the rack (a key of the JSON `extra`) is checked here. */
const sqlFilter = (s: BulkSelector): NodeFilter => ({
  provision_state: s.allManageable ? 'manageable' : undefined,
  resource_class: s.resourceClass,
  name_prefix: s.namePrefix,
});
const inRack = (s: BulkSelector) => (n: NodeRecord) => s.rack === undefined || n.extra.rack === s.rack;

export class BulkSelection {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly listNodes: ListNodes,
  ) {}

  /**
   * The rows after `afterSeq` (at most `limit`), selecting more when there are none. Safe to
   * repeat: the same `afterSeq` gives the same rows, and a step is written once.
   */
  async nextPage(bulkId: string, afterSeq: number, limit: number): Promise<BulkPage> {
    for (;;) {
      const bulk = await this.db.selectFrom('bulks').selectAll().where('id', '=', bulkId).executeTakeFirst();
      if (!bulk) throw new NotFoundError(`bulk introspection ${bulkId} is not in the registry`);
      const selector = JSON.parse(bulk.selector) as BulkSelector;
      if (bulk.total === null) {
        await this.db.updateTable('bulks').set({ total: await this.count(selector) }).where('id', '=', bulkId).where('total', 'is', null).execute();
        continue;
      }
      const rows = await this.db
        .selectFrom('bulk_nodes')
        .select(['seq', 'node_uuid', 'name', 'state'])
        .where('bulk_id', '=', bulkId)
        .where('seq', '>', afterSeq)
        .orderBy('seq')
        .limit(limit)
        .execute();
      if (rows.length || bulk.select_done) {
        return {
          nodes: rows.map((r) => ({ seq: r.seq, uuid: r.node_uuid, name: r.name, skipped: r.state === 'skipped' })),
          total: bulk.total,
          more: !bulk.select_done || rows.length === limit,
        };
      }
      await this.step(bulkId, bulk.next_seq, bulk.select_after, selector);
    }
  }

  /** The nodes the filters match now (the names' count is known when the bulk is created). */
  private async count(selector: BulkSelector): Promise<number> {
    let count = 0;
    for (let marker: string | undefined; ; ) {
      const page = await this.listNodes({ ...sqlFilter(selector), marker, limit: 1000 });
      count += page.filter(inRack(selector)).length;
      if (page.length < 1000) return count;
      marker = page.at(-1)!.uuid;
    }
  }

  /** Takes the next step of names or filtered nodes and writes their rows, unless another attempt just did. */
  private async step(bulkId: string, nextSeq: number, after: string | null, selector: BulkSelector): Promise<void> {
    const { candidates, lastName, cursor, done } = selector.named ? await this.namedStep(bulkId) : await this.filteredStep(selector, after);
    const rows = candidates.map((c, i) => ({
      bulk_id: bulkId,
      seq: nextSeq + i,
      node_uuid: c.uuid,
      name: c.name,
      state: c.skip ? 'skipped' : 'pending',
      error: c.skip,
      boot_phase: null,
      started_at: null,
      finished_at: null,
    }));
    await this.db.transaction().execute(async (tx) => {
      const moved = await tx
        .updateTable('bulks')
        .set({ next_seq: nextSeq + rows.length, select_after: cursor, select_done: done ? 1 : 0 })
        .where('id', '=', bulkId)
        .where('next_seq', '=', nextSeq)
        .where('select_done', '=', 0)
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1) return;
      // A node named twice keeps its first row.
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        await tx.insertInto('bulk_nodes').values(rows.slice(i, i + INSERT_CHUNK)).onConflict((oc) => oc.doNothing()).execute();
      }
      if (lastName !== undefined) await tx.deleteFrom('bulk_names').where('bulk_id', '=', bulkId).where('seq', '<=', lastName).execute();
      if (done) {
        const { n } = await tx.selectFrom('bulk_nodes').select((eb) => eb.fn.countAll<number>().as('n')).where('bulk_id', '=', bulkId).executeTakeFirstOrThrow();
        await tx.updateTable('bulks').set({ total: Number(n) }).where('id', '=', bulkId).execute();
      }
    });
  }

  /** The next names, in the order given: each the node it names (by uuid or name), or skipped as no such node. */
  private async namedStep(bulkId: string) {
    const names = await this.db.selectFrom('bulk_names').select(['seq', 'ident']).where('bulk_id', '=', bulkId).orderBy('seq').limit(SELECTION_STEP).execute();
    const idents = names.map((n) => n.ident);
    const uuids = idents.filter((i) => UUID_RE.test(i));
    const others = idents.filter((i) => !UUID_RE.test(i));
    const found = new Map<string, NodeRecord>();
    for (const [column, values] of [['uuid', uuids], ['name', others]] as const) {
      if (!values.length) continue;
      for (const node of await this.nodesWhere(column, values)) found.set(column === 'uuid' ? node.uuid : node.name!, node);
    }
    const candidates = idents.map((ident): Candidate => {
      const node = found.get(ident);
      return node ? candidateOf(node) : { uuid: ident, name: null, skip: 'no such node' };
    });
    return { candidates, lastName: names.at(-1)?.seq, cursor: null, done: names.length < SELECTION_STEP };
  }

  private async nodesWhere(column: 'uuid' | 'name', values: string[]): Promise<NodeRecord[]> {
    const rows = await this.db.selectFrom('nodes').selectAll().where(column, 'in', values).execute();
    return rows.map(toNode);
  }

  private async filteredStep(selector: BulkSelector, after: string | null) {
    const page = await this.listNodes({ ...sqlFilter(selector), marker: after ?? undefined, limit: SELECTION_STEP });
    return {
      candidates: page.filter(inRack(selector)).map(candidateOf),
      lastName: undefined,
      cursor: page.at(-1)?.uuid ?? after,
      done: page.length < SELECTION_STEP,
    };
  }
}

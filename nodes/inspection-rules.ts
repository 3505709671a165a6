import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { ConflictError, InvalidInputError, NotFoundError } from '../common/errors';
import { now, uniqueViolation } from './db';
import type { Database, InspectionRulesTable } from './tables';

// Ironic's inspection rules (API 1.96) as the registry keeps them: the rule's fields, its
// conditions and actions as JSON (validated by activities/rules/ironic-schema.ts before they
// get here), and whether it is built in (loaded from INSPECTION_RULES_FILE, read-only).

export interface InspectionRuleFields {
  uuid?: string | null;
  description?: string | null;
  priority: number;
  sensitive: boolean;
  phase: string;
  conditions: unknown[];
  actions: unknown[];
}

export interface InspectionRuleRecord extends InspectionRuleFields {
  uuid: string;
  built_in: boolean;
  created_at: string;
  updated_at: string | null;
}

export interface InspectionRuleListQuery {
  /** The uuid of the last rule of the previous page. */
  marker?: string;
  limit: number;
  phase?: string;
}

/** The most rules that may be stored, built-in ones included. */
export const MAX_INSPECTION_RULES = 1000;

function toRecord(row: Selectable<InspectionRulesTable>): InspectionRuleRecord {
  return {
    uuid: row.uuid,
    description: row.description,
    priority: row.priority,
    sensitive: row.sensitive === 1,
    phase: row.phase,
    conditions: JSON.parse(row.conditions) as unknown[],
    actions: JSON.parse(row.actions) as unknown[],
    built_in: row.built_in === 1,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function columns(rule: InspectionRuleFields) {
  return {
    description: rule.description ?? null,
    priority: rule.priority,
    sensitive: rule.sensitive ? 1 : 0,
    phase: rule.phase,
    conditions: JSON.stringify(rule.conditions),
    actions: JSON.stringify(rule.actions),
  };
}

const notFound = (uuid: string) => new NotFoundError(`Inspection rule ${uuid} could not be found.`);

export class InspectionRuleRecords {
  constructor(private readonly db: Kysely<Database>) {}

  async create(rule: InspectionRuleFields): Promise<InspectionRuleRecord> {
    const count = await this.db.selectFrom('inspection_rules').select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow();
    if (Number(count.n) >= MAX_INSPECTION_RULES) throw new ConflictError(`there are ${MAX_INSPECTION_RULES} inspection rules already, the most that may be stored`);
    const uuid = rule.uuid ?? randomUUID();
    try {
      await this.db
        .insertInto('inspection_rules')
        .values({ uuid, ...columns(rule), built_in: 0, created_at: now(), updated_at: null })
        .execute();
    } catch (err) {
      if (uniqueViolation(err)) throw new ConflictError(`uuid: inspection rule ${uuid} already exists`);
      throw err;
    }
    return this.get(uuid);
  }

  async get(uuid: string): Promise<InspectionRuleRecord> {
    const row = await this.db.selectFrom('inspection_rules').selectAll().where('uuid', '=', uuid).executeTakeFirst();
    if (!row) throw notFound(uuid);
    return toRecord(row);
  }

  /** A page, oldest first (Ironic's default order). */
  async list(query: InspectionRuleListQuery): Promise<InspectionRuleRecord[]> {
    let q = this.db.selectFrom('inspection_rules').selectAll().orderBy('created_at').orderBy('uuid').limit(query.limit);
    if (query.phase) q = q.where('phase', '=', query.phase);
    if (query.marker) {
      const marker = await this.db.selectFrom('inspection_rules').select(['uuid', 'created_at']).where('uuid', '=', query.marker).executeTakeFirst();
      if (!marker) throw notFound(query.marker);
      q = q.where((eb) => eb.or([eb('created_at', '>', marker.created_at), eb.and([eb('created_at', '=', marker.created_at), eb('uuid', '>', marker.uuid)])]));
    }
    return (await q.execute()).map(toRecord);
  }

  /** The rules processing runs in `phase`, highest priority first (then oldest first). */
  async forPhase(phase: string): Promise<InspectionRuleRecord[]> {
    const rows = await this.db.selectFrom('inspection_rules').selectAll().where('phase', '=', phase).orderBy('priority', 'desc').orderBy('created_at').orderBy('uuid').execute();
    return rows.map(toRecord);
  }

  async update(uuid: string, rule: InspectionRuleFields): Promise<InspectionRuleRecord> {
    await this.refuseBuiltIn(uuid, 'changed');
    await this.db.updateTable('inspection_rules').set({ ...columns(rule), updated_at: now() }).where('uuid', '=', uuid).where('built_in', '=', 0).execute();
    return this.get(uuid);
  }

  async delete(uuid: string): Promise<void> {
    await this.refuseBuiltIn(uuid, 'deleted');
    const result = await this.db.deleteFrom('inspection_rules').where('uuid', '=', uuid).where('built_in', '=', 0).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw notFound(uuid);
  }

  /**
   * Makes the built-in rules exactly `rules` (each with its uuid): new ones added, changed
   * ones updated, the others removed. Safe for several API processes starting at once.
   */
  async replaceBuiltIn(rules: (InspectionRuleFields & { uuid: string })[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const uuids = rules.map((r) => r.uuid);
      let stale = trx.deleteFrom('inspection_rules').where('built_in', '=', 1);
      if (uuids.length) stale = stale.where('uuid', 'not in', uuids);
      await stale.execute();
      const at = now();
      for (const rule of rules) {
        const taken = await trx.selectFrom('inspection_rules').select('built_in').where('uuid', '=', rule.uuid).executeTakeFirst();
        if (taken?.built_in === 0) throw new InvalidInputError(`built-in inspection rule ${rule.uuid}: a rule created through the API has this uuid`);
        await trx
          .insertInto('inspection_rules')
          .values({ uuid: rule.uuid, ...columns(rule), built_in: 1, created_at: at, updated_at: null })
          .onConflict((oc) => oc.column('uuid').doUpdateSet({ ...columns(rule), updated_at: at }))
          .execute();
      }
    });
  }

  private async refuseBuiltIn(uuid: string, what: string): Promise<void> {
    const row = await this.db.selectFrom('inspection_rules').select('built_in').where('uuid', '=', uuid).executeTakeFirst();
    if (!row) throw notFound(uuid);
    if (row.built_in === 1) throw new InvalidInputError(`Inspection rule ${uuid} is built in (INSPECTION_RULES_FILE): it cannot be ${what} through the API`);
  }
}

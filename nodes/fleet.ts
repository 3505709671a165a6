import { PostgresAdapter, sql, type Kysely, type RawBuilder } from 'kysely';
import { evaluate, StepBudget, usedFields } from '../common/expr/evaluate';
import { fleetView, hardwareView, indexedScalars } from '../common/expr/fleet-view';
import type { Expr, PathExpr, PathStep } from '../common/expr/parse';
import { now } from './db';
import type { Database } from './tables';

// Fleet queries: every processed node's view (common/expr/fleet-view.ts) in fleet_views, its
// common scalars in indexed columns. A query's expression is compiled to a SQL pre-filter
// where it can be, and the JS evaluator (the reference) decides on the rows the filter lets
// through. The filter must never drop a node the expression matches: each compiled piece is
// either exact (same answer as the evaluator, never NULL) or a superset of it, and only exact
// pieces go under `not`.

export const MAX_QUERY_LIMIT = 1000;
export const DEFAULT_QUERY_LIMIT = 100;
/** Evaluation steps one query may take over all the nodes it looks at. */
const QUERY_STEPS = 10_000_000;
const BATCH = 2000;

type Dialect = 'sqlite' | 'postgres';
interface Compiled {
  sql: RawBuilder<unknown>;
  exact: boolean;
}

/** Top-level paths held in a column (the column holds the view's value, or NULL where the view has null). */
const COLUMNS: Record<string, { column: string; type: 'number' | 'string' }> = {
  memory_mb: { column: 'f.memory_mb', type: 'number' },
  cpus: { column: 'f.cpu_count', type: 'number' },
  'cpu.count': { column: 'f.cpu_count', type: 'number' },
  'cpu.model_name': { column: 'f.cpu_model_name', type: 'string' },
  uuid: { column: 'n.uuid', type: 'string' },
  name: { column: 'n.name', type: 'string' },
  resource_class: { column: 'n.resource_class', type: 'string' },
};
const COUNT_COLUMNS: Record<string, string> = { disks: 'f.disk_count', interfaces: 'f.interface_count' };
/** View fields read from the node record's JSON columns. */
const NODE_JSON_FIELDS = new Set(['properties', 'capabilities', 'rack', 'traits']);
/** View fields that come from the node record, not from the stored view. */
const NODE_FIELDS = new Set([...NODE_JSON_FIELDS, 'uuid', 'name', 'resource_class']);

const FLIP = { '==': '==', '!=': '!=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' } as const;
const SQL_OP = { '==': '=', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' } as const;

const pathKey = (steps: PathStep[]) => steps.join('.');
const isName = (step: PathStep): step is string => typeof step === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(step);
type Literal = null | boolean | number | string;

/** A comparison as `path op literal` (flipped when the literal is on the left), or undefined. */
function pathAndLiteral(expr: Extract<Expr, { kind: 'compare' }>) {
  if (expr.left.kind === 'path' && expr.right.kind === 'literal') return { path: expr.left, op: expr.op, value: expr.right.value as Literal };
  if (expr.right.kind === 'path' && expr.left.kind === 'literal') return { path: expr.right, op: FLIP[expr.op], value: expr.left.value as Literal };
  return undefined;
}

class SqlCompiler {
  constructor(private readonly dialect: Dialect) {}

  /** Top level: a pre-filter for the expression, or undefined when nothing of it compiles. */
  top(expr: Expr): Compiled | undefined {
    switch (expr.kind) {
      case 'and':
      case 'or': {
        const a = this.top(expr.left);
        const b = this.top(expr.right);
        if (expr.kind === 'and') {
          if (a && b) return { sql: sql`(${a.sql} and ${b.sql})`, exact: a.exact && b.exact };
          return a || b ? { sql: (a ?? b)!.sql, exact: false } : undefined;
        }
        return a && b ? { sql: sql`(${a.sql} or ${b.sql})`, exact: a.exact && b.exact } : undefined;
      }
      case 'not': {
        const a = this.top(expr.operand);
        return a?.exact ? { sql: sql`(not ${a.sql})`, exact: true } : undefined;
      }
      case 'in': {
        if (expr.left.kind !== 'path' || expr.right.kind !== 'list') return undefined;
        const path = expr.left;
        const parts = expr.right.items.map((item) => (item.kind === 'literal' ? this.column(path, '==', item.value) : undefined));
        if (parts.length === 0) return { sql: sql`(1 = 0)`, exact: true };
        if (parts.some((p) => !p)) return undefined;
        return { sql: sql`(${sql.join(parts.map((p) => p!.sql), sql` or `)})`, exact: true };
      }
      case 'compare': {
        const c = pathAndLiteral(expr);
        if (c && COLUMNS[pathKey(c.path.steps)]) return this.column(c.path, c.op, c.value);
        if (c && !NODE_FIELDS.has(String(c.path.steps[0]))) {
          const json = this.json(this.dialect === 'sqlite' ? sql`f.view` : sql`f.view::jsonb`, c.path.steps, c.op, c.value);
          if (!json) return undefined;
          return { sql: typeof c.value === 'string' && c.op === '==' ? sql`(${containsJson(c.value)} and ${json})` : json, exact: false };
        }
        if (expr.left.kind === 'call' && expr.left.fn === 'count' && expr.right.kind === 'literal') return this.count(expr.left.list, expr.op, expr.right.value);
        if (expr.right.kind === 'call' && expr.right.fn === 'count' && expr.left.kind === 'literal') return this.count(expr.right.list, FLIP[expr.op], expr.left.value);
        return undefined;
      }
      case 'call':
        return expr.fn === 'any' ? this.any(expr.list, expr.body!) : undefined;
      default:
        return undefined;
    }
  }

  private column(path: PathExpr, op: keyof typeof SQL_OP, value: Literal): Compiled | undefined {
    const col = COLUMNS[pathKey(path.steps)];
    if (!col) return undefined;
    const ref = sql.ref(col.column);
    if (value === null) {
      if (op === '==') return { sql: sql`(${ref} is null)`, exact: true };
      if (op === '!=') return { sql: sql`(${ref} is not null)`, exact: true };
      return undefined;
    }
    // Another type than the column's: the evaluator says false (`!=`: true) whatever the node.
    if (typeof value !== col.type) return { sql: sql`(${this.bool(op === '!=')})`, exact: true };
    // Orderings of strings depend on the database's collation: left to the evaluator.
    if (col.type === 'string' && op !== '==' && op !== '!=') return undefined;
    if (op === '!=') return { sql: sql`(${ref} is null or ${ref} <> ${value})`, exact: true };
    return { sql: sql`coalesce(${ref} ${sql.raw(SQL_OP[op])} ${value}, ${this.bool(false)})`, exact: true };
  }

  private count(list: PathExpr, op: keyof typeof SQL_OP, value: Literal): Compiled | undefined {
    const col = list.steps.length === 1 ? COUNT_COLUMNS[list.steps[0] as string] : undefined;
    if (!col || typeof value !== 'number') return undefined;
    return { sql: sql`(${sql.ref(col)} ${sql.raw(SQL_OP[op])} ${value})`, exact: true };
  }

  private any(list: PathExpr, body: Expr): Compiled | undefined {
    if (list.steps.length !== 1 || !(String(list.steps[0]) in COUNT_COLUMNS)) return undefined;
    const inner = this.element(body);
    if (!inner) return undefined;
    const name = String(list.steps[0]);
    // A cheap first cut before parsing each view: the strings the body requires are in its JSON text.
    const texts = requiredStrings(body).map((value) => containsJson(value));
    const from =
      this.dialect === 'sqlite'
        ? sql`json_each(f.view, ${'$.' + name}) as e`
        : sql`jsonb_array_elements(case when jsonb_typeof(f.view::jsonb -> ${name}) = 'array' then f.view::jsonb -> ${name} else '[]'::jsonb end) as e(value)`;
    return { sql: sql.join([...texts, sql`exists (select 1 from ${from} where ${inner})`], sql` and `), exact: false };
  }

  /** Inside any(): a superset of the body over one element `e.value`, or undefined. */
  private element(expr: Expr): RawBuilder<unknown> | undefined {
    switch (expr.kind) {
      case 'and': {
        const a = this.element(expr.left);
        const b = this.element(expr.right);
        return a && b ? sql`(${a} and ${b})` : (a ?? b);
      }
      case 'or': {
        const a = this.element(expr.left);
        const b = this.element(expr.right);
        return a && b ? sql`(${a} or ${b})` : undefined;
      }
      case 'compare': {
        const c = pathAndLiteral(expr);
        return c && this.json(sql`e.value`, c.path.steps, c.op, c.value);
      }
      default:
        return undefined;
    }
  }

  /** `path op literal` on a JSON document (SQLite: text, PostgreSQL: jsonb): a superset of the evaluator's answer, or undefined. */
  private json(doc: RawBuilder<unknown>, path: PathStep[], op: keyof typeof SQL_OP, value: Literal): RawBuilder<unknown> | undefined {
    if (!path.every((step) => typeof step === 'number' || isName(step)) || value === null || op === '!=') return undefined;
    if (this.dialect === 'sqlite') {
      const at = '$' + path.map((step) => (typeof step === 'number' ? `[${step}]` : `.${step}`)).join('');
      if (typeof value === 'boolean') return op === '==' ? sql`(json_type(${doc}, ${at}) = ${value ? 'true' : 'false'})` : undefined;
      if (typeof value === 'string' && op !== '==') return undefined;
      return sql`(json_extract(${doc}, ${at}) ${sql.raw(SQL_OP[op])} ${value})`;
    }
    const at = sql`(${doc} #> ${'{' + path.join(',') + '}'}::text[])`;
    if (op === '==') return sql`(${at} = ${JSON.stringify(value)}::jsonb)`;
    if (typeof value !== 'number') return undefined;
    return sql`(case when jsonb_typeof(${at}) = 'number' then (${at})::numeric ${sql.raw(SQL_OP[op])} ${value}::numeric else false end)`;
  }

  private bool(value: boolean) {
    return sql.raw(value ? 'true' : 'false');
  }
}

export interface FleetMatch {
  uuid: string;
  name: string | null;
  /** The value of each field the expression reads, by the field as written. */
  fields: Record<string, unknown>;
}

export interface FleetQueryResult {
  nodes: FleetMatch[];
  /** The uuid to pass as `marker` for the next page; absent on the last. */
  next?: string;
}

export interface FleetQueryOptions {
  limit?: number;
  marker?: string;
  /** Skip the SQL pre-filter (the reference full scan; tests and the benchmark compare against it). */
  fullScan?: boolean;
}

/** Strings the expression's `path == "string"` comparisons require (those not under `or` or `not`). */
function requiredStrings(expr: Expr): string[] {
  if (expr.kind === 'and') return [...requiredStrings(expr.left), ...requiredStrings(expr.right)];
  if (expr.kind !== 'compare' || expr.op !== '==') return [];
  const c = pathAndLiteral(expr);
  return c && typeof c.value === 'string' ? [c.value] : [];
}

/**
 * The stored view's text holds `value` as JSON.stringify wrote it: a node where some string of
 * the view equals `value` always passes (SQLite's LIKE ignores ASCII case: a superset still).
 */
function containsJson(value: string): RawBuilder<unknown> {
  const escaped = JSON.stringify(value).replaceAll('\\', '\\\\').replaceAll('%', '\\%').replaceAll('_', '\\_');
  return sql`(f.view like ${'%' + escaped + '%'} escape ${'\\'})`;
}

/** What the pre-filter compiles of an expression (tests, benchmark). */
export function compileFilter(expr: Expr, dialect: Dialect): Compiled | undefined {
  return new SqlCompiler(dialect).top(expr);
}

const parseJson = <T>(text: string, fallback: T): T => {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
};

export class FleetViews {
  readonly dialect: Dialect;

  constructor(private readonly db: Kysely<Database>) {
    this.dialect = db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
  }

  /** Stores a node's view from its processed introspection data (replacing the previous one). */
  async put(nodeUuid: string, processed: unknown): Promise<void> {
    await this.putMany([{ nodeUuid, processed }]);
  }

  /** put() for many nodes in one statement (a backfill, the benchmark). */
  async putMany(entries: { nodeUuid: string; processed: unknown }[]): Promise<void> {
    if (entries.length === 0) return;
    const at = now();
    const rows = entries.map(({ nodeUuid, processed }) => {
      const hardware = hardwareView(processed);
      return { node_uuid: nodeUuid, view: JSON.stringify(hardware), ...indexedScalars(hardware), updated_at: at };
    });
    await this.db
      .insertInto('fleet_views')
      .values(rows)
      .onConflict((oc) =>
        oc.column('node_uuid').doUpdateSet((eb) => ({
          view: eb.ref('excluded.view'),
          memory_mb: eb.ref('excluded.memory_mb'),
          cpu_count: eb.ref('excluded.cpu_count'),
          cpu_model_name: eb.ref('excluded.cpu_model_name'),
          disk_count: eb.ref('excluded.disk_count'),
          interface_count: eb.ref('excluded.interface_count'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }

  /** The nodes whose view the expression holds on, in uuid order. Throws ExprEvalError when the query takes too many steps. */
  async query(expr: Expr, options: FleetQueryOptions = {}): Promise<FleetQueryResult> {
    const limit = Math.min(options.limit ?? DEFAULT_QUERY_LIMIT, MAX_QUERY_LIMIT);
    const filter = options.fullScan ? undefined : compileFilter(expr, this.dialect);
    const fields = usedFields(expr);
    const needsNodeJson = usesNodeJson(expr);
    const budget = new StepBudget(QUERY_STEPS);
    const nodes: FleetMatch[] = [];
    let after = options.marker;
    for (;;) {
      let q = this.db
        .selectFrom('fleet_views as f')
        .innerJoin('nodes as n', 'n.uuid', 'f.node_uuid')
        .select(['n.uuid', 'n.name', 'n.resource_class', 'f.view'])
        .$if(needsNodeJson, (b) => b.select(['n.properties', 'n.extra', 'n.traits']))
        .orderBy('n.uuid')
        .limit(BATCH);
      if (filter) q = q.where(filter.sql as RawBuilder<boolean>);
      if (after) q = q.where('n.uuid', '>', after);
      const rows = (await q.execute()) as { uuid: string; name: string | null; resource_class: string | null; view: string; properties?: string; extra?: string; traits?: string }[];
      for (const row of rows) {
        const view = fleetView(parseJson(row.view, {}), {
          uuid: row.uuid,
          name: row.name,
          resource_class: row.resource_class,
          properties: parseJson(row.properties ?? '{}', {}),
          extra: parseJson(row.extra ?? '{}', {}),
          traits: parseJson(row.traits ?? '[]', []),
        });
        if (!evaluate(expr, view, budget)) continue;
        nodes.push({ uuid: row.uuid, name: row.name, fields: Object.fromEntries(fields.map((f) => [f.label, f.get(view)])) });
        if (nodes.length === limit) return { nodes, next: row.uuid };
      }
      if (rows.length < BATCH) return { nodes };
      after = rows[rows.length - 1]!.uuid;
    }
  }
}

/** Whether a top-level path of the expression reads the node record's JSON (parsed only then). */
function usesNodeJson(expr: Expr): boolean {
  switch (expr.kind) {
    case 'path':
      return NODE_JSON_FIELDS.has(String(expr.steps[0]));
    case 'call':
      return NODE_JSON_FIELDS.has(String(expr.list.steps[0]));
    case 'list':
      return expr.items.some(usesNodeJson);
    case 'not':
      return usesNodeJson(expr.operand);
    case 'match':
      return usesNodeJson(expr.left);
    case 'literal':
      return false;
    default:
      return usesNodeJson(expr.left) || usesNodeJson(expr.right);
  }
}

// Fleet query benchmark: 10,000 synthetic nodes' views in SQLite and in PostgreSQL (a
// throwaway cluster, as the tests start one), the four example queries and two that
// match nothing, each timed through FleetViews.query (SQL pre-filter + JS evaluator) and as a
// full JS scan (the reference) in the same run. Prints key=value lines.
// Usage: npx tsx bench/fleet-query.ts [nodes=10000] [runs=30]   (PostgreSQL needs root; else skipped)

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { parseExpr } from '../common/expr/parse';
import { openDatabase } from '../nodes/db';
import { FleetViews } from '../nodes/fleet';
import { migrate } from '../nodes/migrations';
import { newNodeRecord, toNodeColumns } from '../nodes/records';
import type { Database, NodesTable } from '../nodes/tables';
import type { Insertable } from 'kysely';
import { pick, prng, processedData } from '../test/nodes/fleet-data';
import { postgresUnavailable, startPostgres } from '../test/support/postgres';

const count = Number(process.argv[2] ?? 10000);
const runs = Number(process.argv[3] ?? 30);
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(runs) || runs < 1) {
  process.stderr.write('usage: tsx bench/fleet-query.ts [nodes] [runs]\n');
  process.exit(2);
}

const QUERIES = [
  'memory_mb < 262144',
  'cpu.model_name ~ "Xeon"',
  'count(disks) >= 4',
  'any(interfaces, lldp.switch_port == "Ethernet1/12")',
  'memory_mb > 4194304',
  'cpu.model_name ~ "Opteron"',
];
/** A page as large as the API gives. */
const LIMIT = 1000;
const CHUNK = 500;

async function fill(db: Kysely<Database>): Promise<void> {
  const rand = prng(14);
  const at = new Date().toISOString();
  for (let start = 0; start < count; start += CHUNK) {
    const nodes = Array.from({ length: Math.min(CHUNK, count - start) }, (_, i) =>
      newNodeRecord(
        { uuid: randomUUID(), name: `r${((start + i) % 40) + 1}-n${start + i}`, driver: 'fake', driver_info: {}, properties: {}, extra: { rack: `r${((start + i) % 40) + 1}` }, resource_class: pick(rand, ['bm', 'gpu']) },
        at,
      ),
    );
    await db.insertInto('nodes').values(nodes.map((n) => toNodeColumns(n) as Insertable<NodesTable>)).execute();
    await new FleetViews(db).putMany(nodes.map((n, i) => ({ nodeUuid: n.uuid, processed: processedData(rand, start + i) })));
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function time(fn: () => Promise<unknown>, n: number): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 3; i++) await fn(); // warm up
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await fn();
    ms.push(performance.now() - start);
  }
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p99: percentile(ms, 99) };
}

async function bench(kind: string, url: string): Promise<void> {
  const db = openDatabase(url);
  try {
    await migrate(db);
    const started = performance.now();
    await fill(db);
    process.stdout.write(`fleet db=${kind} nodes=${count} insert_s=${((performance.now() - started) / 1000).toFixed(1)}\n`);
    const fleet = new FleetViews(db);
    for (const text of QUERIES) {
      const expr = parseExpr(text);
      const matched = (await fleet.query(expr, { limit: LIMIT })).nodes.length;
      const indexed = await time(() => fleet.query(expr, { limit: LIMIT }), runs);
      const scan = await time(() => fleet.query(expr, { limit: LIMIT, fullScan: true }), Math.max(5, Math.floor(runs / 3)));
      process.stdout.write(
        `fleet db=${kind} query=${JSON.stringify(text)} matched=${matched} p50_ms=${indexed.p50.toFixed(1)} p99_ms=${indexed.p99.toFixed(1)} ` +
          `full_scan_p50_ms=${scan.p50.toFixed(1)} speedup=${(scan.p50 / indexed.p50).toFixed(1)} under_200ms=${indexed.p99 < 200}\n`,
      );
    }
  } finally {
    await db.destroy();
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-'));
  try {
    await bench('sqlite', `sqlite://${path.join(dir, 'fleet.sqlite')}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const why = postgresUnavailable();
  if (why) {
    process.stdout.write(`fleet db=postgres skipped="${why}"\n`);
    return;
  }
  const pg = await startPostgres();
  try {
    await bench('postgres', await pg.createDatabase('fleet_bench'));
  } finally {
    await pg.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});

// PXE filter benchmark: a temp SQLite registry of N nodes with one port each and a temp
// hostsdir. After a first full sync, each call opens one node's run and times the filter's
// answer to it: a full sync() (every port read and compared) against syncNode() (that node's
// ports and the wildcard), interleaved in the same run; the run is closed and synced back
// (untimed) before the next call. Prints key=value lines.
// Usage: npx tsx bench/pxe-filter.ts [nodes=10000] [calls=200]

import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Insertable } from 'kysely';
import { loadConfig } from '../common/config';
import { openRegistry } from '../nodes';
import { openDatabase } from '../nodes/db';
import { migrate } from '../nodes/migrations';
import { newNodeRecord, toNodeColumns } from '../nodes/records';
import type { NodesTable } from '../nodes/tables';
import { pxeFilterFor, type PxeFilter, type SyncResult } from '../pxe/filter';

const count = Number(process.argv[2] ?? 10000);
const calls = Number(process.argv[3] ?? 200);
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(calls) || calls < 1) {
  process.stderr.write('usage: tsx bench/pxe-filter.ts [nodes] [calls]\n');
  process.exit(2);
}
const CHUNK = 500;
const mac = (i: number) => `02:00:00:${[16, 8, 0].map((shift) => ((i >> shift) & 255).toString(16).padStart(2, '0')).join(':')}`;

/** The node uuids, in order, each with one PXE-enabled port. */
async function fill(url: string): Promise<string[]> {
  const db = openDatabase(url);
  try {
    await migrate(db);
    const at = new Date().toISOString();
    const uuids: string[] = [];
    for (let start = 0; start < count; start += CHUNK) {
      const nodes = Array.from({ length: Math.min(CHUNK, count - start) }, (_, i) =>
        newNodeRecord({ uuid: randomUUID(), name: `n${start + i}`, driver: 'fake', driver_info: {}, properties: {}, extra: {}, resource_class: null }, at),
      );
      await db.insertInto('nodes').values(nodes.map((n) => toNodeColumns(n) as Insertable<NodesTable>)).execute();
      const ports = nodes.map((n, i) => ({
        uuid: randomUUID(), node_uuid: n.uuid, address: mac(start + i), pxe_enabled: 1, local_link_connection: '{}', physical_network: null, created_at: at, updated_at: null,
      }));
      await db.insertInto('ports').values(ports).execute();
      uuids.push(...nodes.map((n) => n.uuid));
    }
    return uuids;
  } finally {
    await db.destroy();
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const stats = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), mean: ms.reduce((a, b) => a + b, 0) / ms.length };
};

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pxe-filter-'));
  try {
    const url = `sqlite://${path.join(dir, 'nodes.sqlite')}`;
    const uuids = await fill(url);
    const registry = await openRegistry(url);
    try {
      const config = loadConfig({ INTROSPECTOR_DATA_DIR: dir, PXE_HOSTSDIR: path.join(dir, 'hostsdir'), DISCOVERY_ENABLED: 'false' });
      const filter: PxeFilter = pxeFilterFor(config, registry)!;
      let started = performance.now();
      const first = await filter.sync();
      process.stdout.write(`pxe_filter nodes=${count} first_sync_ms=${(performance.now() - started).toFixed(1)} first_sync_written=${first.written}\n`);

      /** Opens the node's run, times `answer`, then closes the run and syncs it back untimed. */
      const timed = async (node: string, answer: () => Promise<SyncResult>, back: () => Promise<SyncResult>) => {
        await registry.runs.open(node);
        started = performance.now();
        const result = await answer();
        const ms = performance.now() - started;
        if (result.written !== 1) throw new Error(`expected the one MAC file written, got ${result.written}`);
        await registry.runs.close(node);
        await back();
        return ms;
      };
      const full: number[] = [];
      const node: number[] = [];
      for (let i = 0; i < calls; i++) {
        const [a, b] = [uuids[(2 * i) % count], uuids[(2 * i + 1) % count]];
        full.push(await timed(a, () => filter.sync(), () => filter.sync()));
        node.push(await timed(b, () => filter.syncNode(b), () => filter.syncNode(b)));
      }
      const [f, n] = [stats(full), stats(node)];
      process.stdout.write(`full_sync calls=${calls} ms_p50=${f.p50.toFixed(2)} ms_mean=${f.mean.toFixed(2)}\n`);
      process.stdout.write(`sync_node calls=${calls} ms_p50=${n.p50.toFixed(2)} ms_mean=${n.mean.toFixed(2)}\n`);
      process.stdout.write(`ratio p50=${(f.p50 / n.p50).toFixed(1)} mean=${(f.mean / n.mean).toFixed(1)}\n`);
    } finally {
      await registry.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

// Bulk orchestration benchmark: N nodes with the `fake` BMC driver introspected in one bulk run at
// a given concurrency, on the real stack (Temporal dev server, versitygw, API and workers in this
// process). This process plays the nodes without the API's list: the registry records each
// power-on the fake BMC accepts, and a node powered on with a run open boots as its firmware
// would (fetches its boot script, takes the run's token from the kernel command line) and posts an
// IPA-shaped payload. It polls the bulk as the CLI does (one call a tick). Baseline, measured in
// the same run: one node introspected alone. Then a second bulk of up to 1,000 of the nodes runs
// them all at once, their agents silent: bulk status and the introspection list are timed with
// every node running, and the bulk is aborted.
// Prints `key=value` lines: throughput, per-node durations, events and history bytes per node,
// status latencies, and the peak RSS of every process of the stack.
// Usage: npx tsx bench/bulk.ts [nodes=100] [concurrency=20] [continueAsNewAfter=500] [statusNodes=min(nodes,1000)]

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { parseKernelCmdline } from '../agent/settings';
import { databaseUrl, loadConfig } from '../common/config';
import { connectClient } from '../common/temporal';
import { openDatabase } from '../nodes/db';
import { fakeAgentPayload } from '../scripts/fake-agent';
import { jsonCaller } from '../scripts/json-call';
import { startStack, type Stack } from '../scripts/stack';
import { parseBootScript } from '../sim/ipxe';
import { treeCpuMs } from './proc-cpu';

const args = process.argv.slice(2).map(Number);
const [nodes, concurrency, canAfter] = [args[0] || 100, args[1] || 20, args[2] || 500];
const statusNodes = args[3] || Math.min(nodes, 1000);
if (![nodes, concurrency, canAfter, statusNodes].every((n) => Number.isInteger(n) && n > 0) || statusNodes > Math.min(nodes, 1000)) {
  process.stderr.write('usage: tsx bench/bulk.ts [nodes] [concurrency] [continueAsNewAfter] [statusNodes (at most nodes and 1000)]\n');
  process.exit(2);
}
const mac = (i: number) => `02:00:00:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
const admin = { username: 'admin', password: randomBytes(18).toString('base64url') };
const call = jsonCaller(admin);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const out = (what: string, values: Record<string, string | number>) =>
  process.stdout.write(`${what} ${Object.entries(values).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const ms = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { ms_p50: percentile(sorted, 50).toFixed(1), ms_p99: percentile(sorted, 99).toFixed(1), calls: sorted.length };
};

/** Runs `fn` over `items`, `width` at a time. */
async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** Plays the nodes: each one the registry shows powered on with a run open boots and posts its data, once per run. */
function playNodes(stack: Stack, indexOf: Map<string, number>) {
  const db = openDatabase(databaseUrl(stack.config));
  const answered = new Set<string>();
  let silent = false;
  let stopped = false;
  let posts = 0;
  const boot = async (uuid: string) => {
    const i = indexOf.get(uuid)!;
    const script = parseBootScript(await (await fetch(`${stack.inspectorUrl}/boot/${mac(i).replace(/:/g, '-')}.ipxe`)).text());
    if (script.boot !== 'ramdisk') throw new Error(`node ${i}: the boot script says to boot from the local disk`);
    const token = parseKernelCmdline(script.cmdline)['ipa-agent-token'];
    await call('POST', `${stack.inspectorUrl}/v1/continue`, fakeAgentPayload(mac(i)), { 'x-agent-token': token! });
    posts++;
  };
  const loop = (async () => {
    while (!stopped) {
      if (!silent) {
        const on = await db
          .selectFrom('nodes')
          .innerJoin('introspection_runs', 'introspection_runs.node_uuid', 'nodes.uuid')
          .select(['nodes.uuid', 'introspection_runs.token'])
          .where('nodes.power_state', '=', 'power on')
          .execute();
        for (const { uuid, token } of on) {
          if (answered.has(token)) continue;
          answered.add(token);
          // Not waiting yet (the power-on is still being confirmed): the next tick tries again.
          boot(uuid).catch(() => answered.delete(token));
        }
      }
      await sleep(50);
    }
  })();
  return {
    get posts() {
      return posts;
    },
    setSilent: (value: boolean) => void (silent = value),
    stop: async () => {
      stopped = true;
      await loop;
      await db.destroy();
    },
  };
}

/** Events and history bytes of workflow runs, from their descriptions (no history is fetched). */
async function histories(client: Client, runs: { workflowId: string; runId?: string }[]) {
  let events = 0;
  let bytes = 0;
  let maxBytes = 0;
  for (const { workflowId, runId } of runs) {
    const d = await client.workflow.getHandle(workflowId, runId).describe();
    events += d.historyLength;
    bytes += d.historySize ?? 0;
    maxBytes = Math.max(maxBytes, d.historySize ?? 0);
  }
  return { runs: runs.length, events, bytes, maxBytes };
}

/** This process and each process it started (the Temporal dev server, versitygw), by name. */
function stackProcesses(): Map<string, number> {
  const found = new Map<string, number>([['bench+api+workers', process.pid]]);
  for (const entry of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid) found.set(stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** CPU milliseconds each process of the stack has used so far (a child's own children included). */
function stackCpuMs(processes: Map<string, number>): Record<string, number> {
  const self = process.cpuUsage();
  const trees = treeCpuMs([...processes.values()].filter((pid) => pid !== process.pid));
  return Object.fromEntries([...processes].map(([name, pid]) => [name, pid === process.pid ? (self.user + self.system) / 1000 : trees.get(pid) ?? 0]));
}

/** Peak resident memory (VmHWM) of each process of the stack. */
function peakRss(processes: Map<string, number>): Record<string, string> {
  return Object.fromEntries(
    [...processes].map(([name, pid]) => {
      const kb = Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      return [`rss_peak_mb_${name}`, (kb / 1024).toFixed(0)];
    }),
  );
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'introspector-bench-'));
  const config = loadConfig({
    ...process.env,
    INTROSPECTOR_DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: '127.0.0.1:18233',
    S3_ENDPOINT: 'http://127.0.0.1:18243',
    TEMPORAL_TASK_QUEUE: 'bench',
    INSPECTOR_PORT: '0',
    NODE_API_PORT: '0',
    BMC_COMMANDS_PER_SECOND: '1000',
    BULK_CONTINUE_AS_NEW_AFTER: String(canAfter),
    INTROSPECTOR_ADMIN_PASSWORD: admin.password,
  });
  const stack = await startStack(config, { uiPort: 0, quiet: true });
  const client = await connectClient(config);
  const indexOf = new Map<string, number>();
  const api = stack.inspectorUrl;
  let player: ReturnType<typeof playNodes> | undefined;
  try {
    await pool(
      Array.from({ length: nodes + 1 }, (_, i) => i),
      8,
      async (i) => {
        const node = await call('POST', `${stack.nodeUrl}/v1/nodes`, { name: `bench-${i}`, driver: 'fake' });
        await call('POST', `${stack.nodeUrl}/v1/ports`, { node_uuid: node.uuid, address: mac(i) });
        indexOf.set(node.uuid, i);
      },
    );
    player = playNodes(stack, indexOf);

    // Baseline: node 0 alone.
    const single0 = performance.now();
    await call('POST', `${api}/v1/introspection/bench-0`);
    while (!(await call('GET', `${api}/v1/introspection/bench-0`)).finished) await sleep(50);
    const singleMs = performance.now() - single0;

    // The bulk, polled as the CLI polls it: counts and a page of failures, one call a tick.
    const names = Array.from({ length: nodes }, (_, k) => `bench-${k + 1}`);
    const processes = stackProcesses();
    const cpu0 = stackCpuMs(processes);
    const bulk0 = performance.now();
    const { bulk_id: bulkId } = await call('POST', `${api}/v1/introspection`, { nodes: names, concurrency });
    const tickMs: number[] = [];
    for (;;) {
      const t0 = performance.now();
      const s = await call('GET', `${api}/v1/introspection/bulk/${bulkId}?state=failed,skipped&limit=50`);
      tickMs.push(performance.now() - t0);
      if (s.state !== 'running') break;
      await sleep(250);
    }
    const bulkMs = performance.now() - bulk0;
    const cpu1 = stackCpuMs(processes);
    const rows: any[] = [];
    for (let marker = ''; ; ) {
      const page = (await call('GET', `${api}/v1/introspection/bulk/${bulkId}?limit=1000${marker && `&marker=${marker}`}`)).nodes;
      if (!page.length) break;
      rows.push(...page);
      marker = page.at(-1).uuid;
    }
    const final = await call('GET', `${api}/v1/introspection/bulk/${bulkId}?limit=1`);
    const durations = rows.filter((n) => n.started_at && n.finished_at).map((n) => Date.parse(n.finished_at) - Date.parse(n.started_at)).sort((a, b) => a - b);
    const runIds = [];
    for await (const e of client.workflow.list({ query: `WorkflowId = 'bulk-${bulkId}'` })) runIds.push({ workflowId: e.workflowId, runId: e.runId });
    const bulkRuns = await histories(client, runIds);
    // The nodes' runs are alike: a sample of them.
    const sample = rows.filter((_, k) => k % Math.ceil(rows.length / 200) === 0).map((n) => ({ workflowId: `introspection-${n.uuid}` }));
    const children = await histories(client, sample);

    out('bulk', { nodes, concurrency, continue_as_new_after: canAfter });
    out('bulk', { finished: final.finished, failed: final.failed, skipped: final.skipped });
    out('bulk', { wall_s: (bulkMs / 1000).toFixed(1), nodes_per_min: ((nodes / bulkMs) * 60000).toFixed(0) });
    out('bulk node_ms', { p50: percentile(durations, 50), p95: percentile(durations, 95), max: durations.at(-1)! });
    out('history', {
      bulk_runs: bulkRuns.runs,
      nodes_sampled: children.runs,
      bulk_events: bulkRuns.events,
      bulk_bytes: bulkRuns.bytes,
      bulk_run_max_bytes: bulkRuns.maxBytes,
      node_events_avg: (children.events / children.runs).toFixed(1),
      node_bytes_avg: (children.bytes / children.runs).toFixed(0),
      events_per_node: (bulkRuns.events / nodes + children.events / children.runs).toFixed(1),
      history_bytes_per_node: (bulkRuns.bytes / nodes + children.bytes / children.runs).toFixed(0),
    });
    const cpuPerNode = Object.fromEntries(Object.keys(cpu1).map((name) => [`cpu_ms_per_node_${name}`, ((cpu1[name] - cpu0[name]) / nodes).toFixed(1)]));
    const cpuTotal = Object.keys(cpu1).reduce((sum, name) => sum + cpu1[name] - cpu0[name], 0);
    out('cpu', { ...cpuPerNode, cpu_ms_per_node: (cpuTotal / nodes).toFixed(1), cores_busy: (cpuTotal / bulkMs).toFixed(2) });
    out('baseline', { single_node_ms: singleMs.toFixed(0) });
    out('ratio', { efficiency: ((nodes * singleMs) / concurrency / bulkMs).toFixed(2) });
    out('status_while_running', { concurrency, ...ms(tickMs) });

    // Every node of a bulk running at once, their agents silent: what reading costs then.
    player.setSilent(true);
    const { bulk_id: statusBulk } = await call('POST', `${api}/v1/introspection`, { nodes: names.slice(0, statusNodes), concurrency: statusNodes });
    const statusUrl = `${api}/v1/introspection/bulk/${statusBulk}`;
    const ramp0 = performance.now();
    while ((await call('GET', `${statusUrl}?limit=1`)).running < statusNodes) await sleep(500);
    const rampS = (performance.now() - ramp0) / 1000;
    const timed = async (url: string, times: number) => {
      const samples = [];
      for (let i = 0; i < times; i++) {
        const t0 = performance.now();
        await call('GET', url);
        samples.push(performance.now() - t0);
      }
      return ms(samples);
    };
    out('status', { nodes_running: statusNodes, ramp_s: rampS.toFixed(1) });
    out('status full_page', await timed(`${statusUrl}?limit=1000`, 200));
    out('status cli_tick', await timed(`${statusUrl}?state=failed,skipped&limit=50`, 200));
    out('status list', await timed(`${api}/v1/introspection?limit=1000`, 50));
    const abort0 = performance.now();
    await call('POST', `${statusUrl}/abort`);
    while ((await call('GET', `${statusUrl}?limit=1`)).state === 'running') await sleep(250);
    out('status', { abort_s: ((performance.now() - abort0) / 1000).toFixed(1) });
    out('rss', peakRss(processes));
  } finally {
    await player?.stop();
    await client.connection.close();
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

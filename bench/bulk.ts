// Bulk orchestration benchmark: N nodes with the `fake` BMC driver, introspected in one bulk
// run at a given concurrency, on the real stack (Temporal dev server, versitygw, API, workers).
// This process plays the nodes: as soon as a node waits for its data it fetches the node's boot
// script (as its firmware would), takes the run's agent token from the kernel command line and
// posts an IPA-shaped payload with it. API calls authenticate as admin, whose password the
// bench sets for its stack. Baseline, measured in the same run: one node introspected alone.
// Prints throughput, per-node durations and the efficiency ratio
//   (N × single-node time / concurrency) / bulk wall time   (1.0 = no orchestration overhead).
// Usage: npx tsx bench/bulk.ts [nodes=100] [concurrency=20] [continueAsNewAfter=50]

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseKernelCmdline } from '../agent/settings';
import { loadConfig } from '../common/config';
import { fakeAgentPayload } from '../scripts/fake-agent';
import { jsonCaller } from '../scripts/json-call';
import { startStack } from '../scripts/stack';
import { parseBootScript } from '../sim/ipxe';

const [nodes, concurrency, canAfter] = [Number(process.argv[2] ?? 100), Number(process.argv[3] ?? 20), Number(process.argv[4] ?? 50)];
if (![nodes, concurrency, canAfter].every((n) => Number.isInteger(n) && n > 0)) {
  process.stderr.write('usage: tsx bench/bulk.ts [nodes] [concurrency] [continueAsNewAfter]\n');
  process.exit(2);
}
const mac = (i: number) => `02:00:00:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;

const admin = { username: 'admin', password: randomBytes(18).toString('base64url') };
const call = jsonCaller(admin);

const payloadFor = (i: number) => fakeAgentPayload(mac(i));

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
  const posted = new Set<string>();
  const boot = async (i: number) => {
    const res = await fetch(`${stack.inspectorUrl}/boot/${mac(i).replace(/:/g, '-')}.ipxe`);
    const script = parseBootScript(await res.text());
    if (script.boot !== 'ramdisk') throw new Error(`bench-${i}: the boot script says to boot from the local disk`);
    const token = parseKernelCmdline(script.cmdline)['ipa-agent-token'];
    await call('POST', `${stack.inspectorUrl}/v1/continue`, payloadFor(i), token ? { 'x-agent-token': token } : {});
  };
  const agents = async (filter: string) => {
    // Play the nodes: boot and answer every node that waits for its data.
    const list = await call('GET', `${stack.inspectorUrl}/v1/introspection?limit=1000${filter}`);
    await Promise.all(
      list.introspection
        .filter((s: any) => s.state === 'waiting' && !posted.has(s.uuid))
        .map(async (s: any) => {
          posted.add(s.uuid);
          await boot(indexOf.get(s.uuid)!);
        }),
    );
  };
  const indexOf = new Map<string, number>();
  try {
    for (let i = 0; i <= nodes; i++) {
      const node = await call('POST', `${stack.nodeUrl}/v1/nodes`, { name: `bench-${i}`, driver: 'fake' });
      await call('POST', `${stack.nodeUrl}/v1/ports`, { node_uuid: node.uuid, address: mac(i) });
      indexOf.set(node.uuid, i);
    }

    // Baseline: node 0 alone.
    const single0 = performance.now();
    await call('POST', `${stack.inspectorUrl}/v1/introspection/bench-0`);
    for (;;) {
      await agents('');
      const s = await call('GET', `${stack.inspectorUrl}/v1/introspection/bench-0`);
      if (s.finished) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const singleMs = performance.now() - single0;

    const names = Array.from({ length: nodes }, (_, k) => `bench-${k + 1}`);
    const bulk0 = performance.now();
    const { bulk_id: bulkId } = await call('POST', `${stack.inspectorUrl}/v1/introspection`, { nodes: names, concurrency });
    let final: any;
    for (;;) {
      await agents(`&bulk=${bulkId}`);
      final = await call('GET', `${stack.inspectorUrl}/v1/introspection/bulk/${bulkId}`);
      if (final.state !== 'running') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const bulkMs = performance.now() - bulk0;
    const durations = final.nodes.map((n: any) => Date.parse(n.finished_at) - Date.parse(n.started_at)).sort((a: number, b: number) => a - b);
    const pct = (p: number) => durations[Math.min(durations.length - 1, Math.floor((p / 100) * durations.length))];
    const out = (line: string) => process.stdout.write(`${line}\n`);
    out(`bulk nodes=${nodes} concurrency=${concurrency} continue_as_new_after=${canAfter}`);
    out(`bulk finished=${final.finished} failed=${final.failed} skipped=${final.skipped}`);
    out(`bulk wall_s=${(bulkMs / 1000).toFixed(1)} nodes_per_min=${((nodes / bulkMs) * 60000).toFixed(0)}`);
    out(`bulk node_ms p50=${pct(50)} p95=${pct(95)} max=${durations[durations.length - 1]}`);
    out(`baseline single_node_ms=${singleMs.toFixed(0)}`);
    out(`ratio efficiency=${((nodes * singleMs) / concurrency / bulkMs).toFixed(2)}`);
    out(`process peak_rss_mb=${(process.resourceUsage().maxRSS / 1024).toFixed(0)}`);
  } finally {
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

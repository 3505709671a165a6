// Introspector side by side with the system it replaces, per callback: Debian 12's
// ironic-inspector 11.1 (installed here if missing) with Introspector's node API as its Ironic
// and manage_boot=false, against Introspector (Temporal dev server, versitygw, the API and a
// worker as separate processes, as `npm start` runs them) with manage_boot=false too, and
// (`introspector_managed_boot_*`) powering the node off at the end through the `fake` BMC driver.
// Each system gets nodes of its own, enrolled with a port and started until the run waits for
// data; then, one node at a time, the same IPA-shaped payload goes to POST /v1/continue and the
// clock runs until the run has finished (both set the node's properties before they finish;
// checked after the timed part). How "finished" is seen: ironic-inspector's log line, read
// through inotify (free); Introspector's workflow result, one long poll on Temporal (counted in
// Temporal's CPU, though it is the bench's).
// CPU per callback: utime + stime (/proc, whole process trees) of every process of a system over
// its timed callbacks, divided by their number. The timed callbacks run in rounds, each system's
// share in turn, so that a change in the machine's load falls on every system alike. The node API
// serves ironic-inspector's Ironic calls from Introspector's API process: that share is shown
// beside, not in, its number.
// Usage: npx tsx bench/vs-ironic-inspector.ts [nodes=100] [--rounds R=5] [--store-data database|none] [--profile DIR]
//   --profile: the API and the worker run under `node --cpu-prof` (profiles left in DIR); prints on
//   stderr where their CPU went during the timed callbacks and while idle, and the timed runs'
//   Temporal histories step by step (bench/callback-profile.ts); one round. Its CPU numbers include the profiler's.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { z } from 'zod';
import { DEFAULT_HOOK_ORDER } from '../activities/hooks';
import { parseKernelCmdline } from '../agent/settings';
import { ensureAdminUser } from '../api/auth/htpasswd';
import { adminPasswordFile, htpasswdFile, loadConfig } from '../common/config';
import { describeZodError } from '../common/validation';
import { fakeAgentPayload } from '../scripts/fake-agent';
import { ensureIronicInspector, ironicInspectorVersion, startIronicInspector } from '../scripts/ironic-inspector/ironic-inspector';
import { jsonCaller } from '../scripts/json-call';
import { startBackingServices, startService, tsEntry, waitForReady, type Service } from '../scripts/services';
import { parseBootScript } from '../sim/ipxe';
import { introspectionWorkflowId } from '../workflows/definitions';
import { LogWatcher } from './log-watcher';
import { printHistories, printProfiles, type Window } from './callback-profile';
import { treeCpuMs } from './proc-cpu';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'store-data': { type: 'string', default: 'database' }, rounds: { type: 'string' }, profile: { type: 'string' } },
});
const Args = z.object({
  nodes: z.coerce.number().int().min(1).default(100),
  storeData: z.enum(['database', 'none']),
  rounds: z.coerce.number().int().min(1).default(5),
});
const parsedArgs = Args.safeParse({ nodes: positionals[0], storeData: flags['store-data'], rounds: flags.profile ? 1 : flags.rounds });
if (!parsedArgs.success) {
  process.stderr.write(`${describeZodError(parsedArgs.error)}\nusage: tsx bench/vs-ironic-inspector.ts [nodes] [--rounds R] [--store-data database|none] [--profile DIR]\n`);
  process.exit(2);
}
const { nodes, storeData, rounds } = parsedArgs.data;
const WARMUP = 5;
const PORTS = { temporal: 19033, inspector: 19040, nodeApi: 19041, s3: 19043, workerMetrics: 19045, ironicInspector: 19050 };

const admin = { username: 'admin', password: randomBytes(18).toString('base64url') };
const call = jsonCaller(admin);
/** ironic-inspector's API runs without authentication (noauth): no credentials to it. */
const NO_AUTH = {};
const out = (key: string, value: string | number) => process.stdout.write(`${key}=${value}\n`);
const mac = (system: number, i: number) => `02:00:${system.toString(16).padStart(2, '0')}:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What ironic-python-agent posts for the node with this MAC (its one NIC, the one it PXE-booted
 * from), with the root disk it chose (the smallest of at least 4 GiB): ironic-inspector takes
 * local_gb from that choice only.
 */
function payloadFor(address: string) {
  const data = fakeAgentPayload(address);
  data.inventory.boot.pxe_interface = address;
  const disks = (data.inventory.disks as { size: number }[]).filter((d) => d.size >= 4 * 2 ** 30);
  data.root_disk = disks.reduce((a, b) => (b.size < a.size ? b : a));
  return data;
}

interface Target {
  uuid: string;
  mac: string;
  /** Introspector's run token, from the node's boot script (as the agent gets it). */
  token?: string;
}

/** One system under test: how to start a run, post the callback and see the run finish. */
interface System {
  name: string;
  /** Its processes, by the name printed. */
  processes: Record<string, number>;
  start(target: Target): Promise<void>;
  callback(target: Target): Promise<void>;
}

async function poll<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

interface Measured {
  latencies: number[];
  cpuMs: Map<string, number>;
  /** Where the timed callbacks ran (one span per round). */
  windowsUs: [bigint, bigint][];
  /** When each timed callback was sent, by node. */
  sentAt: Map<string, number>;
}

interface Contender {
  system: System;
  warmup: Target[];
  timed: Target[];
  /** More processes to count, by name (the node API's share of ironic-inspector's calls). */
  also: Record<string, number>;
}

/**
 * The warm-up callbacks, then the timed ones in rounds: each round runs its share of every
 * system's callbacks, one system after the other, so that a change in the machine's load while
 * the bench runs falls on all of them alike. The CPU of every process is read around each share.
 */
async function measureInRounds(contenders: Contender[], rounds: number): Promise<Measured[]> {
  for (const c of contenders) for (const t of c.warmup) await c.system.callback(t);
  const measured = contenders.map((): Measured => ({ latencies: [], cpuMs: new Map(), windowsUs: [], sentAt: new Map() }));
  for (let round = 0; round < rounds; round++) {
    for (const [i, { system, timed, also }] of contenders.entries()) {
      const m = measured[i];
      const pids = { ...system.processes, ...also };
      const before = treeCpuMs(Object.values(pids));
      const windowStart = process.hrtime.bigint() / 1000n;
      for (const t of timed.filter((_, k) => k % rounds === round)) {
        m.sentAt.set(t.uuid, Date.now());
        const t0 = performance.now();
        await system.callback(t);
        m.latencies.push(performance.now() - t0);
      }
      m.windowsUs.push([windowStart, process.hrtime.bigint() / 1000n]);
      const after = treeCpuMs(Object.values(pids));
      for (const [name, pid] of Object.entries(pids)) m.cpuMs.set(name, (m.cpuMs.get(name) ?? 0) + after.get(pid)! - before.get(pid)!);
    }
  }
  return measured;
}

/** CPU ms per second of each process while nothing is asked of it (every run waiting for its agent). */
async function idleCpu(pids: Record<string, number>, ms: number): Promise<{ msPerSecond: Map<string, number>; window: Window }> {
  const before = treeCpuMs(Object.values(pids));
  const fromUs = process.hrtime.bigint() / 1000n;
  await sleep(ms);
  const toUs = process.hrtime.bigint() / 1000n;
  const after = treeCpuMs(Object.values(pids));
  const msPerSecond = new Map(Object.entries(pids).map(([name, pid]) => [name, ((after.get(pid)! - before.get(pid)!) * 1000) / ms]));
  return { msPerSecond, window: { name: 'idle', fromUs, toUs, per: ms / 1000, unit: 'per second' } };
}

/** Processing hooks ironic-inspector 11.1 has under the same names. */
const IRONIC_INSPECTOR_HOOKS = new Set(['ramdisk_error', 'root_disk_selection', 'scheduler', 'validate_interfaces', 'capabilities', 'pci_devices', 'extra_hardware', 'lldp_basic', 'local_link_connection', 'raid_device', 'physnet_cidr_map']);
/** Both systems run the hooks of Introspector's default order that ironic-inspector has too. */
const HOOKS = DEFAULT_HOOK_ORDER.filter((hook) => IRONIC_INSPECTOR_HOOKS.has(hook));

async function main() {
  ensureIronicInspector();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'introspector-vs-'));
  const profileDir = flags.profile ? path.resolve(flags.profile) : undefined;
  const { INTROSPECTOR_ADMIN_PASSWORD: _password, PROCESSING_HOOKS: _hooks, ...inherited } = process.env;
  const env = {
    ...inherited,
    INTROSPECTOR_DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: `127.0.0.1:${PORTS.temporal}`,
    S3_ENDPOINT: `http://127.0.0.1:${PORTS.s3}`,
    TEMPORAL_TASK_QUEUE: 'bench-vs',
    INSPECTOR_PORT: String(PORTS.inspector),
    NODE_API_PORT: String(PORTS.nodeApi),
    WORKER_METRICS_PORT: String(PORTS.workerMetrics),
    WORKER_METRICS_URL: `http://127.0.0.1:${PORTS.workerMetrics}/metrics`,
    BMC_COMMANDS_PER_SECOND: '1000',
    INTROSPECTION_BOOT_TIMEOUT: '3600',
    PROCESSING_HOOKS: HOOKS.join(','),
  };
  const config = loadConfig(env);
  ensureAdminUser(htpasswdFile(config), adminPasswordFile(config), admin.password);
  const services: Service[] = [];
  const logs = path.join(dataDir, 'logs');
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  let connection: Connection | undefined;
  try {
    services.push(...(await startBackingServices(config, { uiPort: 0, temporal: true, s3: true })));
    const api = startService('api', process.execPath, [...nodeArgs, ...tsEntry('api/main.ts')], path.join(logs, 'api.log'), env);
    services.push(api);
    const inspectorUrl = `http://127.0.0.1:${PORTS.inspector}`;
    const nodeUrl = `http://127.0.0.1:${PORTS.nodeApi}`;
    await waitForReady('inspector API', `${inspectorUrl}/readyz`, api.child, 60_000, path.join(logs, 'api.log'));
    const worker = startService('worker', process.execPath, [...nodeArgs, ...tsEntry('worker/main.ts')], path.join(logs, 'worker.log'), env);
    services.push(worker);
    const ironic = await startIronicInspector({
      dir: path.join(dataDir, 'ironic-inspector'),
      port: PORTS.ironicInspector,
      ironicUrl: nodeUrl,
      ironicUser: admin,
      processingHooks: HOOKS,
      storeData,
    });
    services.push(ironic);
    connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
    const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    const pid = (s: Service) => s.child.pid!;
    const byName = (name: string) => pid(services.find((s) => s.name === name)!);

    const enroll = async (system: number, prefix: string, count: number): Promise<Target[]> => {
      const targets: Target[] = [];
      for (let i = 0; i < count; i++) {
        const node = await call('POST', `${nodeUrl}/v1/nodes`, { name: `${prefix}-${i}`, driver: 'fake' });
        await call('POST', `${nodeUrl}/v1/ports`, { node_uuid: node.uuid, address: mac(system, i) });
        targets.push({ uuid: node.uuid, mac: mac(system, i) });
      }
      return targets;
    };

    const watcher = new LogWatcher(ironic.logFile);
    const ironicInspector: System = {
      name: 'ironic_inspector',
      processes: { ironic_inspector: pid(ironic) },
      async start(t) {
        await call('POST', `${ironic.url}/v1/introspection/${t.uuid}?manage_boot=false`, undefined, NO_AUTH);
        await poll(`ironic-inspector's run of ${t.uuid} to wait`, async () => ((await call('GET', `${ironic.url}/v1/introspection/${t.uuid}`, undefined, NO_AUTH)).state === 'waiting' ? true : undefined), 30_000);
      },
      async callback(t) {
        const finished = watcher.waitFor((line) => line.includes(t.uuid) && line.includes('Introspection finished successfully'), 30_000);
        await call('POST', `${ironic.url}/v1/continue`, payloadFor(t.mac), NO_AUTH);
        await finished.catch(async (err) => {
          const status = await call('GET', `${ironic.url}/v1/introspection/${t.uuid}`, undefined, NO_AUTH);
          throw new Error(`${err.message}; ironic-inspector says ${JSON.stringify(status)}`);
        });
      },
    };
    // Like for like: manage_boot=false, no BMC command; then as a rack runs it, powering off at the end.
    const introspectorSystem = (manageBoot: boolean): System => ({
      name: manageBoot ? 'introspector_managed_boot' : 'introspector',
      processes: { api: pid(api), worker: pid(worker), temporal: byName('temporal'), versitygw: byName('versitygw') },
      async start(t) {
        await call('POST', `${inspectorUrl}/v1/introspection/${t.uuid}${manageBoot ? '' : '?manage_boot=false'}`);
        await poll(`Introspector's run of ${t.uuid} to wait`, async () => ((await call('GET', `${inspectorUrl}/v1/introspection/${t.uuid}`)).state === 'waiting' ? true : undefined), 60_000);
        const res = await fetch(`${inspectorUrl}/boot/${t.mac.replace(/:/g, '-')}.ipxe`);
        const script = parseBootScript(await res.text());
        if (script.boot !== 'ramdisk') throw new Error(`${t.uuid}: the boot script says to boot from the local disk`);
        t.token = parseKernelCmdline(script.cmdline)['ipa-agent-token'];
      },
      async callback(t) {
        const result = temporal.workflow.getHandle(introspectionWorkflowId(t.uuid)).result();
        await call('POST', `${inspectorUrl}/v1/continue`, payloadFor(t.mac), t.token ? { 'x-agent-token': t.token } : {});
        const status = await result;
        if (status?.state !== 'finished') throw new Error(`${t.uuid}: Introspector's run ended ${JSON.stringify(status)}`);
      },
    });
    const introspector = introspectorSystem(false);
    const managed = introspectorSystem(true);

    const prepared: { warmup: Target[]; timed: Target[] }[] = [];
    for (const [index, system] of [ironicInspector, introspector, managed].entries()) {
      const targets = await enroll(index + 1, `vs-${system.name}`, WARMUP + nodes);
      for (const t of targets) await system.start(t);
      prepared.push({ warmup: targets.slice(0, WARMUP), timed: targets.slice(WARMUP) });
    }

    const everyProcess = { ...ironicInspector.processes, ...introspector.processes };
    const idle = await idleCpu(everyProcess, 5000);
    const [ii, intro, introManaged] = await measureInRounds(
      [ironicInspector, introspector, managed].map((system, i): Contender => ({ system, ...prepared[i], also: i === 0 ? { node_api: pid(api) } : {} })),
      rounds,
    );

    // Both set the node's properties before they finish: checked here, off the clock.
    for (const { timed } of prepared) {
      for (const t of timed) {
        const node = await call('GET', `${nodeUrl}/v1/nodes/${t.uuid}`);
        if (!(node.properties?.memory_mb > 0 && node.properties?.cpus > 0 && node.properties?.local_gb > 0)) {
          throw new Error(`node ${t.uuid} finished without its properties: ${JSON.stringify(node.properties)}`);
        }
      }
    }

    const per = (m: Measured, name: string) => m.cpuMs.get(name)! / nodes;
    const total = (m: Measured, names: string[]) => names.reduce((sum, n) => sum + per(m, n), 0);
    const iiSorted = [...ii.latencies].sort((a, b) => a - b);
    const inSorted = [...intro.latencies].sort((a, b) => a - b);
    const iiCpu = per(ii, 'ironic_inspector');
    const inCpu = total(intro, Object.keys(introspector.processes));
    out('nodes', nodes);
    out('rounds', rounds);
    out('ironic_inspector_version', ironicInspectorVersion());
    out('ironic_inspector_store_data', storeData);
    out('processing_hooks', HOOKS.join(','));
    out('ironic_inspector_p50_ms', percentile(iiSorted, 50).toFixed(1));
    out('ironic_inspector_p95_ms', percentile(iiSorted, 95).toFixed(1));
    out('introspector_p50_ms', percentile(inSorted, 50).toFixed(1));
    out('introspector_p95_ms', percentile(inSorted, 95).toFixed(1));
    out('p50_ratio', (percentile(inSorted, 50) / percentile(iiSorted, 50)).toFixed(2));
    out('ironic_inspector_cpu_ms_per_callback', iiCpu.toFixed(1));
    out('ironic_inspector_node_api_cpu_ms_per_callback', per(ii, 'node_api').toFixed(1));
    out('introspector_cpu_ms_per_callback', inCpu.toFixed(1));
    for (const name of Object.keys(introspector.processes)) out(`introspector_cpu_ms_per_callback_${name}`, per(intro, name).toFixed(1));
    out('cpu_ratio', (inCpu / iiCpu).toFixed(2));
    out('cpu_ratio_with_node_api', (inCpu / (iiCpu + per(ii, 'node_api'))).toFixed(2));
    const managedSorted = [...introManaged.latencies].sort((a, b) => a - b);
    out('introspector_managed_boot_p50_ms', percentile(managedSorted, 50).toFixed(1));
    out('introspector_managed_boot_p95_ms', percentile(managedSorted, 95).toFixed(1));
    out('introspector_managed_boot_cpu_ms_per_callback', total(introManaged, Object.keys(managed.processes)).toFixed(1));
    for (const [name, value] of idle.msPerSecond) out(`idle_cpu_ms_per_s_${name}`, value.toFixed(1));

    if (profileDir) {
      const runs = prepared[1].timed.map((t) => ({ workflowId: introspectionWorkflowId(t.uuid), sentAt: intro.sentAt.get(t.uuid)! }));
      await printHistories(temporal, runs);
      // The profiles are written when the processes exit.
      for (const s of [worker, api]) await s.stop();
      const [[fromUs, toUs]] = intro.windowsUs; // one round when profiling
      const timedWindow = { name: 'timed callbacks', fromUs, toUs, per: nodes, unit: 'per callback' };
      printProfiles(profileDir, { api: pid(api), worker: pid(worker) }, [timedWindow, idle.window]);
    }
    watcher.close();
  } finally {
    await connection?.close();
    for (const s of services.reverse()) await s.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

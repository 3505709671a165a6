import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { tsEntry } from '../../scripts/services';
import { introspectionWorkflowId } from '../../workflows/definitions';
import { ipmiDriverInfo, SimRack } from '../../sim/rack';
import { postgresUnavailable, startPostgres, type Postgres } from '../support/postgres';
import { http, introspectionEnded, startStack, waitFor, type Stack } from '../support/stack';

// The reason for Temporal: an introspection survives its worker being killed. The worker runs
// as its own process (worker/main.ts); it is SIGKILLed while the node waits for its agent, and
// a new worker process finishes the same workflow run. The API and the workers share the node
// registry on PostgreSQL, as several instances do at scale.

let stack: Stack;
let rack: SimRack;
let postgres: Postgres | undefined;
const workers: ChildProcess[] = [];

const WORKER_METRICS_PORT = 17650;

function startWorkerProcess(n: number): ChildProcess {
  const log = fs.openSync(path.join(stack.dataDir, `worker-${n}.log`), 'a');
  const child = spawn(process.execPath, tsEntry('worker/main.ts'), {
    env: { ...process.env, ...stack.env, WORKER_METRICS_PORT: String(WORKER_METRICS_PORT) },
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  workers.push(child);
  return child;
}

beforeAll(async () => {
  postgres = postgresUnavailable() ? undefined : await startPostgres();
  if (!postgres) console.warn(`crash test on SQLite: ${postgresUnavailable()}`);
  const database: Record<string, string> = postgres ? { DATABASE_URL: await postgres.createDatabase('crash') } : {};
  stack = await startStack(17633, { INTROSPECTION_TIMEOUT: '120', ...database }, { workers: false });
  // The ramdisk takes 6 s to boot: time enough to kill the worker while the node waits.
  rack = await SimRack.start({ dir: path.join(stack.dataDir, 'rack'), count: 1, prefix: 'crs', net: 39, inspectorPort: stack.api.inspectorPort, bootDelaySeconds: 6 });
}, 180000);

afterAll(async () => {
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  await rack?.stop();
  await stack?.stop();
  await postgres?.stop();
});

test('an introspection survives its worker being killed mid-run', async () => {
  const node = rack.nodes[0];
  const created = await http('POST', `${stack.nodeUrl}/v1/nodes`, { name: node.name, driver: 'ipmi', driver_info: ipmiDriverInfo(node) });
  const uuid = created.body.uuid;
  const first = startWorkerProcess(1);
  expect((await http('POST', `${stack.inspectorUrl}/v1/introspection/${uuid}`)).status).toBe(202);
  // waiting is published before the power-on; "waiting for agent" once the node is on
  const booted = async () => /^waiting for agent/.test((await http('GET', `${stack.inspectorUrl}/v1/introspection/${uuid}`)).body.detail ?? '');
  await waitFor('the node to be on and wait for its agent', async () => ((await booted()) ? true : undefined), 60000);

  const connection = await Connection.connect({ address: stack.config.TEMPORAL_ADDRESS });
  const handle = new Client({ connection }).workflow.getHandle(introspectionWorkflowId(uuid));
  const runBefore = (await handle.describe()).runId;

  first.kill('SIGKILL');
  const [, signal] = await new Promise<[number | null, string | null]>((resolve) => first.once('exit', (code, sig) => resolve([code, sig])));
  expect(signal).toBe('SIGKILL');
  expect(fs.existsSync(`/proc/${first.pid}`)).toBe(false); // the worker itself, not a wrapper, is gone
  expect(rack.powerState(node)).toBe('on'); // the server keeps booting without anyone watching

  startWorkerProcess(2);
  const status = await introspectionEnded(stack, uuid, 90000);
  expect(status).toMatchObject({ state: 'finished', error: null });
  const after = await handle.describe();
  expect(after.runId).toBe(runBefore);
  await connection.close();

  const shown = (await http('GET', `${stack.nodeUrl}/v1/nodes/${uuid}`)).body;
  expect(shown.provision_state).toBe('manageable');
  expect(shown.properties.cpus).toBeGreaterThan(0);
  expect(rack.powerState(node)).toBe('off');

  // The worker process serves its metrics and the Temporal SDK's: the power off it sent is counted.
  const metrics = await (await fetch(`http://127.0.0.1:${WORKER_METRICS_PORT}/metrics`)).text();
  expect(metrics).toMatch(/^introspector_bmc_command_duration_seconds_count\{driver="ipmi",command="powerOff",outcome="ok"\} [1-9]/m);
  expect(metrics).toMatch(/^introspector_processing_hook_duration_seconds_count\{hook="scheduler",stage="beforeUpdate"\} 1$/m);
  expect(metrics).toMatch(/^introspector_worker_process_resident_memory_bytes \d+/m);
  expect(metrics).toMatch(/^temporal_workflow_completed\{.*\} 1$/m);
  // The run's own metrics, counted by the worker that ended it (the replay of its start counts nothing).
  expect(metrics).toMatch(/^introspector_introspections_ended_total\{.*outcome="finished",reason="none".*\} 1$/m);
  expect(metrics).toMatch(/^introspector_introspection_duration_seconds_count\{.*outcome="finished".*\} 1$/m);
  expect(metrics).toMatch(/^introspector_boot_phase_duration_seconds_count\{.*phase="data_delivered".*\} 1$/m);
  expect(metrics).not.toMatch(/^introspector_introspections_started_total\{/m);
}, 180000);

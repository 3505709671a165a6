import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection, isGrpcServiceError } from '@temporalio/client';
import { loadConfig } from '../../common/config';
import { temporalConnectionOptions } from '../../common/temporal';
import { tsEntry, waitForReady } from '../../scripts/services';
import { SimRack } from '../../sim/rack';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/definitions';
import { enrollSimNode } from '../support/rack';
import { http, startStack, waitFor, type Stack } from '../support/stack';
import { jwtIssuer, startTemporalCluster, temporalServerUnavailable, type TemporalCluster } from '../support/temporal-server';

// Introspector on a production-shaped Temporal cluster (test/support/temporal-server.ts): the
// server built from go.temporal.io/server on PostgreSQL with SQL visibility, its frontend behind
// mTLS and JWT API keys. The stack's API (in this process) and a second API process share one
// PostgreSQL node registry; two worker processes share the work. The API's key may only write
// in the namespace, the workers' may administer it: the workers add the search attributes.

const NAMESPACE = 'introspector';
const CLUSTER_PORT = 18700; // 18700–18711
const STACK_PORT = 18730; // S3 on 18740
const API2 = { inspector: 18750, node: 18751 };
const WORKER_METRICS_PORTS = [18760, 18762]; // the SDK's exporter on the next port of each
const NODES = 4;

let cluster: TemporalCluster;
let stack: Stack;
let rack: SimRack;
let apiKey: { api: string; worker: string };
const children: ChildProcess[] = [];
let api2Url: string;

function startProcess(name: string, entry: string, env: Record<string, string | undefined>): ChildProcess {
  const log = fs.openSync(path.join(stack.dataDir, `${name}.log`), 'a');
  const child = spawn(process.execPath, tsEntry(entry), { env: { ...stack.env, ...env }, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  children.push(child);
  return child;
}
const logOf = (name: string) => fs.readFileSync(path.join(stack.dataDir, `${name}.log`), 'utf8');

const tlsEnv = () => ({
  TEMPORAL_TLS_CA_FILE: cluster.tls.ca,
  TEMPORAL_TLS_CERT_FILE: cluster.tls.clientCert,
  TEMPORAL_TLS_KEY_FILE: cluster.tls.clientKey,
  TEMPORAL_TLS_SERVER_NAME: 'localhost',
});

async function customSearchAttributes(): Promise<string[]> {
  const admin = await cluster.adminConnection();
  try {
    return Object.keys((await admin.operatorService.listSearchAttributes({ namespace: NAMESPACE })).customAttributes);
  } finally {
    await admin.close();
  }
}

beforeAll(async () => {
  const why = temporalServerUnavailable();
  if (why) throw new Error(`cannot run the Temporal cluster: ${why}`);
  cluster = await startTemporalCluster({ basePort: CLUSTER_PORT, namespace: NAMESPACE });
  apiKey = { api: cluster.apiKeyFile('introspector-api', [`${NAMESPACE}:write`]), worker: cluster.apiKeyFile('introspector-worker', [`${NAMESPACE}:admin`]) };
  stack = await startStack(
    STACK_PORT,
    {
      TEMPORAL_ADDRESS: cluster.address,
      TEMPORAL_NAMESPACE: NAMESPACE,
      ...tlsEnv(),
      TEMPORAL_API_KEY_FILE: apiKey.api,
      DATABASE_URL: await cluster.createDatabase('registry'),
      INTROSPECTION_TIMEOUT: '120',
    },
    { workers: false },
  );
  const api2 = startProcess('api-2', 'api/main.ts', { INSPECTOR_PORT: String(API2.inspector), NODE_API_PORT: String(API2.node) });
  api2Url = `http://127.0.0.1:${API2.inspector}`;
  await waitForReady('second inspector API', `${api2Url}/readyz`, api2, 60_000, path.join(stack.dataDir, 'api-2.log'));
  // The agents call back to the second API; the bulk starts through the first.
  rack = await SimRack.start({ dir: path.join(stack.dataDir, 'rack'), count: NODES, prefix: 'tcl', net: 91, inspectorPort: API2.inspector });
}, 240_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await rack?.stop();
  await stack?.stop();
  await cluster?.stop();
});

/** gRPC status codes. */
const STATUS: Record<number, string> = { 7: 'PERMISSION_DENIED', 14: 'UNAVAILABLE', 16: 'UNAUTHENTICATED' };

/** How a call on a connection with these options ends: 'ok', a gRPC status, or 'no connection'. */
async function outcomeWith(options: Parameters<typeof Connection.connect>[0]): Promise<string> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...options, address: cluster.address, connectTimeout: '3s' });
  } catch (err) {
    // Connecting asks for the system info, which a bad key is refused already.
    const refused = [err, (err as Error).cause].find(isGrpcServiceError);
    if (refused) return STATUS[refused.code] ?? `gRPC status ${refused.code}`;
    if (/Failed to connect before the deadline/.test((err as Error).message)) return 'no connection';
    throw err;
  }
  try {
    await connection.workflowService.countWorkflowExecutions({ namespace: NAMESPACE });
    return 'ok';
  } catch (err) {
    if (isGrpcServiceError(err)) return STATUS[err.code] ?? `gRPC status ${err.code}`;
    throw err;
  } finally {
    await connection.close();
  }
}

test('the frontend wants the CA-signed client certificate and a key it can verify, with a permission on the namespace', async () => {
  const own = temporalConnectionOptions(loadConfig({ TEMPORAL_ADDRESS: cluster.address, ...tlsEnv(), TEMPORAL_API_KEY_FILE: apiKey.api }));
  expect(await outcomeWith(own)).toBe('ok');
  const { clientCertPair: _pair, ...withoutCertificate } = own.tls as Exclude<typeof own.tls, false>;
  expect(await outcomeWith({ ...own, tls: withoutCertificate })).toBe('no connection'); // the TLS handshake fails
  expect(await outcomeWith({ ...own, tls: false })).toBe('no connection');
  const { apiKey: _key, ...withoutKey } = own;
  expect(await outcomeWith(withoutKey)).toBe('PERMISSION_DENIED');
  expect(await outcomeWith({ ...own, apiKey: jwtIssuer().sign('intruder', [`${NAMESPACE}:admin`]) })).toBe('PERMISSION_DENIED'); // signed by another key
  expect(await outcomeWith({ ...own, apiKey: cluster.apiKey('elsewhere', ['other:admin']) })).toBe('PERMISSION_DENIED');
  expect(await outcomeWith({ ...own, apiKey: 'not-a-jwt' })).toBe('PERMISSION_DENIED');
}, 60_000);

test('the workers add the search attributes the API may not; the key stays out of environments and logs', async () => {
  const names = SEARCH_ATTRIBUTE_KEYS.map((key) => key.name);
  // The API started with a write-only key: it said so and went on without them.
  const before = await customSearchAttributes();
  expect(names.filter((name) => before.includes(name))).toEqual([]);
  expect(logOf('api-2')).toMatch(/search attributes IntrospectionState, .* are missing in namespace introspector and Temporal refused to add them/);

  const workers = WORKER_METRICS_PORTS.map((port, i) =>
    startProcess(`worker-${i + 1}`, 'worker/main.ts', { TEMPORAL_API_KEY_FILE: apiKey.worker, WORKER_METRICS_PORT: String(port) }),
  );
  await waitFor('both workers to poll', async () => (workers.every((_, i) => /worker polling task queues/.test(logOf(`worker-${i + 1}`))) ? true : undefined), 90_000, 250);
  expect(await customSearchAttributes()).toEqual(expect.arrayContaining(names));
  // Starting together, both may report adding them (a retried add finds them there): the server keeps one of each.
  const added = [1, 2].flatMap((n) => logOf(`worker-${n}`).match(/added the search attributes ([\w, ]+) to namespace introspector/)?.[1].split(', ') ?? []);
  expect([...new Set(added)].sort()).toEqual([...names].sort());

  const key = fs.readFileSync(apiKey.worker, 'utf8').trim();
  for (const child of children) expect(fs.readFileSync(`/proc/${child.pid}/environ`, 'utf8')).not.toContain(key);
  for (const log of ['api-2', 'worker-1', 'worker-2']) expect(logOf(log)).not.toContain(key.split('.')[2]);
}, 120_000);

test('a bulk run started through one API and watched through the other finishes every node, on both workers', async () => {
  for (const node of rack.nodes) await enrollSimNode(stack, node, { extra: { rack: 'r91' } });
  const start = await http('POST', `${stack.inspectorUrl}/v1/introspection`, { filters: { rack: 'r91' }, concurrency: NODES });
  expect(start.status).toBe(202);
  const final = await waitFor(
    'the bulk run to end',
    async () => {
      const { body } = await http('GET', `${api2Url}/v1/introspection/bulk/${start.body.bulk_id}`);
      return body.state === 'running' ? undefined : body;
    },
    180_000,
    250,
  );
  expect(final).toMatchObject({ state: 'finished', total: NODES, finished: NODES, failed: 0 });
  for (const node of rack.nodes) {
    expect(rack.powerState(node)).toBe('off');
    expect((await http('GET', `http://127.0.0.1:${API2.node}/v1/nodes/${node.name}`)).body.properties.memory_mb).toBeGreaterThan(0);
  }

  // The runs carry the bulk's search attribute on this cluster's SQL visibility.
  const connection = await Connection.connect(temporalConnectionOptions(stack.config));
  const runs = [];
  for await (const run of new Client({ connection, namespace: NAMESPACE }).workflow.list({ query: `IntrospectionBulk = '${start.body.bulk_id}' AND WorkflowType = 'introspectNode'` })) runs.push(run);
  await connection.close();
  expect(runs).toHaveLength(NODES);

  // Both worker processes ran activities of this bulk.
  for (const port of WORKER_METRICS_PORTS) {
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const commands = [...metrics.matchAll(/^introspector_bmc_command_duration_seconds_count\{.*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    expect([port, commands > 0]).toEqual([port, true]);
  }
}, 240_000);

test('a rotated API key file takes over in the running API, without a restart', async () => {
  // /metrics counts the waiting runs through Temporal with the API's key: 500 when Temporal refuses it.
  const metricsStatus = async () => (await http('GET', `${api2Url}/metrics`)).status;
  const valid = fs.readFileSync(apiKey.api, 'utf8');
  expect(await metricsStatus()).toBe(200);
  try {
    fs.writeFileSync(apiKey.api, `${cluster.apiKey('introspector-api', ['elsewhere:write'])}\n`);
    await waitFor('the API to use the rotated key (refused in this namespace)', async () => ((await metricsStatus()) === 500 ? true : undefined), 30_000, 500);
    expect(logOf('api-2')).not.toContain(fs.readFileSync(apiKey.api, 'utf8').trim().split('.')[2]);
  } finally {
    fs.writeFileSync(apiKey.api, valid);
  }
  await waitFor('the API to use the valid key again', async () => ((await metricsStatus()) === 200 ? true : undefined), 30_000, 500);
}, 90_000);

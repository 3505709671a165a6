import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startApi, type RunningApi } from '../../api/server';
import { loadConfig } from '../../common/config';
import { createLogger, setLogger } from '../../common/log';
import { startBackingServices, type Service } from '../../scripts/services';
import { TcpProxy } from '../support/tcp-proxy';
import { ADMIN, http, waitFor } from '../support/stack';

// Liveness and readiness on both APIs, and what clients get while Temporal or S3 cannot be
// reached: a 503 with Retry-After from a guard that knows, not a 500 after the client's retries.
// The API reaches both services through proxies the test cuts and restores.

const BASE = 18533;
let services: Service[] = [];
let api: RunningApi;
let inspector: string;
let nodes: string;
const temporal = new TcpProxy(BASE + 20, { host: '127.0.0.1', port: BASE });
const s3 = new TcpProxy(BASE + 21, { host: '127.0.0.1', port: BASE + 10 });

beforeAll(async () => {
  setLogger(createLogger('api', 'error'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'introspector-health-'));
  const env = { INTROSPECTOR_DATA_DIR: dataDir, TEMPORAL_TASK_QUEUE: `test-${BASE}`, INSPECTOR_PORT: '0', NODE_API_PORT: '0', INTROSPECTOR_ADMIN_PASSWORD: ADMIN.password };
  services = await startBackingServices(loadConfig({ ...env, TEMPORAL_ADDRESS: `127.0.0.1:${BASE}`, S3_ENDPOINT: `http://127.0.0.1:${BASE + 10}` }), {
    uiPort: 0,
    temporal: true,
    s3: true,
  });
  await Promise.all([temporal.up(), s3.up()]);
  api = await startApi(loadConfig({ ...env, TEMPORAL_ADDRESS: `127.0.0.1:${temporal.port}`, S3_ENDPOINT: `http://127.0.0.1:${s3.port}` }));
  inspector = `http://127.0.0.1:${api.inspectorPort}`;
  nodes = `http://127.0.0.1:${api.nodePort}`;
}, 120_000);

afterAll(async () => {
  await Promise.all([temporal.up().catch(() => undefined), s3.up().catch(() => undefined)]);
  await api?.close();
  await temporal.down();
  await s3.down();
  for (const s of services.reverse()) await s.stop();
});

const readiness = (url: string) => http('GET', `${url}/readyz`, undefined, { auth: null });

test('both APIs answer /healthz and /readyz without credentials, with each dependency checked', async () => {
  for (const url of [inspector, nodes]) {
    expect(await http('GET', `${url}/healthz`, undefined, { auth: null })).toMatchObject({ status: 200, body: { status: 'alive' } });
    const ready = await readiness(url);
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ready');
    for (const name of ['temporal', 's3', 'registry']) expect(ready.body.checks[name]).toMatchObject({ ok: true, error: null });
  }
});

test('both APIs serve their OpenAPI description without credentials', async () => {
  const [inspectorDoc, nodeDoc] = await Promise.all([inspector, nodes].map((url) => http('GET', `${url}/openapi.json`, undefined, { auth: null })));
  expect(inspectorDoc.body).toMatchObject({ openapi: '3.1.0', paths: { '/v1/introspection/{node}': { post: { summary: 'Introspect a node' } } } });
  expect(nodeDoc.body).toMatchObject({ openapi: '3.1.0', paths: { '/v1/nodes': { post: { summary: 'Enroll a node' } } } });
});

test.each([
  ['temporal', temporal],
  ['s3', s3],
])('with %s unreachable: not ready, naming it; the inspector API and the callback answer 503 with Retry-After; back when it is', async (name, proxy) => {
  await proxy.down();
  try {
    const notReady = await waitFor('readiness to fail', async () => {
      const r = await readiness(inspector);
      return r.status === 503 ? r : undefined;
    }, 10_000);
    expect(notReady.headers.get('retry-after')).toBe('5');
    expect(notReady.body.status).toBe('not ready');
    expect(notReady.body.checks[name].ok).toBe(false);
    expect(notReady.body.checks.registry.ok).toBe(true);

    const list = await http('GET', `${inspector}/v1/introspection`);
    expect(list.status).toBe(503);
    expect(list.headers.get('retry-after')).toBe('5');
    expect(list.body.error.message).toContain(`cannot reach ${name}`);
    const callback = await http('POST', `${inspector}/v1/continue`, { inventory: { interfaces: [] } }, { auth: null });
    expect(callback.status).toBe(503);
    expect(callback.headers.get('retry-after')).toBe('5');
    // The node API needs neither: it keeps serving.
    expect((await http('GET', `${nodes}/v1/nodes`)).status).toBe(200);
    // The process itself is alive all along.
    expect((await http('GET', `${inspector}/healthz`, undefined, { auth: null })).status).toBe(200);
  } finally {
    await proxy.up();
  }
  await waitFor('readiness to come back', async () => ((await readiness(inspector)).status === 200 ? true : undefined), 15_000);
  expect((await http('GET', `${inspector}/v1/introspection`)).status).toBe(200);
}, 60_000);

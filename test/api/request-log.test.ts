import http from 'node:http';
import { Writable } from 'node:stream';
import express from 'express';
import { requestLog, nodeOfPath } from '../../api/request-log';
import { createLogger } from '../../common/log';

// The API's request log: one JSON line per request with its id, path, status and node, at a
// level by status; secrets in headers, bodies or logged objects never written.

const lines: string[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    done();
  },
});
const logger = createLogger('api', 'info', sink);
let server: http.Server;
let url: string;

beforeAll(async () => {
  const app = express();
  app.use(requestLog(logger, 'inspector'));
  app.get('/v1/introspection/:node', (_req, res) => void res.json({ ok: true }));
  app.post('/v1/continue', (_req, res) => void res.status(404).json({}));
  app.get('/boom', () => {
    throw new Error('broken');
  });
  await new Promise<void>((resolve) => (server = app.listen(0, '127.0.0.1', () => resolve())));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const entries = () => lines.map((l) => JSON.parse(l));

test('a request is one JSON line with its id, path, status, node and level; the id is echoed', async () => {
  const res = await fetch(`${url}/v1/introspection/rack2-4-compute?limit=1`, { headers: { 'x-request-id': 'trace-42' } });
  expect(res.headers.get('x-request-id')).toBe('trace-42');
  await new Promise((resolve) => setTimeout(resolve, 50));
  const entry = entries().find((e) => e.req?.id === 'trace-42');
  expect(entry).toMatchObject({ level: 30, service: 'api', api: 'inspector', node: 'rack2-4-compute', req: { method: 'GET', path: '/v1/introspection/rack2-4-compute' }, res: { statusCode: 200 } });
  expect(typeof entry.responseTime).toBe('number');
  expect(entry.time).toMatch(/^\d{4}-\d\d-\d\dT/);
});

test('an id that is not a plain token is replaced; 4xx logs at warn, 5xx at error', async () => {
  const res = await fetch(`${url}/v1/continue`, { method: 'POST', headers: { 'x-request-id': 'a'.repeat(65) } });
  const id = res.headers.get('x-request-id')!;
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  await fetch(`${url}/boom`);
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(entries().find((e) => e.req?.id === id)).toMatchObject({ level: 40, res: { statusCode: 404 } });
  expect(entries().find((e) => e.req?.path === '/boom')).toMatchObject({ level: 50, res: { statusCode: 500 } });
});

test('credentials, run tokens and BMC passwords are censored wherever they appear', async () => {
  await fetch(`${url}/v1/continue`, { method: 'POST', headers: { authorization: 'Basic c2VjcmV0LXVzZXI6aHVudGVyMg==', 'x-agent-token': 'TOKEN-abcdefghijklmnop' } });
  logger.info({ node: { driver_info: { ipmi_password: 'bmc-pass-1' } }, agent_token: 'TOKEN-2', password: 'pw-3' }, 'a node');
  await new Promise((resolve) => setTimeout(resolve, 50));
  const text = lines.join('\n');
  for (const secret of ['c2VjcmV0LXVzZXI6aHVudGVyMg', 'TOKEN-abcdefghijklmnop', 'bmc-pass-1', 'TOKEN-2', 'pw-3']) expect(text).not.toContain(secret);
  expect(entries().at(-1)).toMatchObject({ node: { driver_info: { ipmi_password: '******' } }, agent_token: '******', password: '******' });
});

test.each([
  ['/v1/introspection/n1/data', 'n1'],
  ['/v1/nodes/8c7b1d7e-0000-4000-8000-000000000001/ports', '8c7b1d7e-0000-4000-8000-000000000001'],
  ['/v1/introspection/bulk/abc', undefined],
  ['/v1/introspection', undefined],
  ['/boot/52-54-00-12-34-56.ipxe', undefined],
  ['/v1/nodes/%E0%A4%A', '%E0%A4%A'],
])('the node of %s is %s', (path, node) => {
  expect(nodeOfPath(path)).toBe(node);
});

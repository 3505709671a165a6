// Global behaviour: URLs from flags and environment, timeouts, usage errors,
// help, and one real process through tsx.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { ADMIN_ENV, type FakeApi, fakeApi, harness } from './helpers';

let api: FakeApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

test('URLs from the environment; the flag wins over it', async () => {
  api = await fakeApi({
    'GET /v1/rules': () => ({ body: { rules: [] } }),
    'GET /v1/nodes': () => ({ body: { nodes: [] } }),
  });
  const h = harness({ env: { INTROSPECTOR_URL: api.url, INTROSPECTOR_NODE_URL: `${api.url}/` } });
  expect(await h.run('rule', 'list')).toBe(0);
  expect(await h.run('node', 'list')).toBe(0);
  expect(api.requests.map((r) => r.path)).toEqual(['/v1/rules', '/v1/nodes']);

  const f = harness({ env: { INTROSPECTOR_URL: 'http://127.0.0.1:1' } });
  expect(await f.run('--inspector-url', api.url, 'rule', 'list')).toBe(0);
});

test('a bad URL names where it came from: exit 2', async () => {
  const h = harness({ env: { INTROSPECTOR_URL: 'localhost:5050' } });
  expect(await h.run('rule', 'list')).toBe(2);
  expect(h.stderr.text).toContain('error: INTROSPECTOR_URL: "localhost:5050"');
  const f = harness();
  expect(await f.run('--node-url', 'nope', 'node', 'list')).toBe(2);
  expect(f.stderr.text).toContain('error: --node-url: "nope" is not a URL');
});

test('--timeout: a hanging API is given up on with a clear message; exit 1', async () => {
  api = await fakeApi({ 'GET /v1/rules': () => ({ hang: true }) });
  const h = harness({ api });
  expect(await h.run('--timeout', '0.2', 'rule', 'list')).toBe(1);
  expect(h.stderr.text).toMatch(/^error: inspector API did not answer GET http:\/\/127\.0\.0\.1:\d+\/v1\/rules within 0\.2s\n$/);
  const bad = harness();
  expect(await bad.run('--timeout', '0', 'rule', 'list')).toBe(2);
  expect(bad.stderr.text).toContain("option '--timeout <seconds>' argument '0' is invalid");
});

test('help and version: exit 0 on stdout; unknown command: exit 2', async () => {
  const h = harness();
  expect(await h.run('--help')).toBe(0);
  expect(h.stdout.text).toContain('Usage: introspector');
  expect(h.stdout.text).toContain('introspection');
  const v = harness();
  expect(await v.run('--version')).toBe(0);
  expect(v.stdout.text).toMatch(/^\d+\.\d+\.\d+\n$/);
  const u = harness();
  expect(await u.run('machines', 'list')).toBe(2);
  expect(u.stderr.text).toContain("unknown command 'machines'");
  const b = harness();
  expect(await b.run('introspection', 'bulk', 'start', '--help')).toBe(0);
  expect(b.stdout.text).toContain('--no-wait');
});

test('a real process through tsx: env URL, table out, exit status', async () => {
  api = await fakeApi({
    'GET /v1/nodes': () => ({ body: { nodes: [{ uuid: 'u-1', name: 'rack1-u01', provision_state: 'manageable', properties: {} }] } }),
    'GET /v1/nodes/:node': () => ({ status: 404, body: { error_message: JSON.stringify({ faultstring: 'Node x could not be found.' }) } }),
  });
  const root = path.resolve(__dirname, '../..');
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'cli/main.ts', ...args], {
        cwd: root,
        env: { ...process.env, ...ADMIN_ENV, INTROSPECTOR_NODE_URL: api!.url },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  const ok = await run(['node', 'list']);
  expect(ok.stderr).toBe('');
  expect(ok.code).toBe(0);
  expect(ok.stdout).toMatch(/^UUID\s+NAME\s+PROVISION STATE.*\nu-1\s+rack1-u01\s+manageable/);
  const missing = await run(['node', 'show', 'x']);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toBe('error: Node x could not be found. (HTTP 404)\n');
});

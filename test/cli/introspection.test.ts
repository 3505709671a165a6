// `introspection ...` (single nodes) against a local server that plays the inspector API.

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StatusBody } from '../../cli/commands/introspection';
import { type FakeApi, T0, fakeApi, harness, inspectorError } from './helpers';

const iso = (ms: number) => new Date(T0 + ms).toISOString();
const U1 = '00000000-0000-4000-8000-000000000001';
const U2 = '00000000-0000-4000-8000-000000000002';

const status = (uuid: string, state: string, extra: Partial<StatusBody> = {}): StatusBody => ({
  uuid,
  state,
  finished: state === 'finished' || state === 'error',
  error: null,
  started_at: iso(0),
  finished_at: state === 'finished' || state === 'error' ? iso(300_000) : null,
  ...extra,
});

let api: FakeApi | undefined;
let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-intro-'));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));
afterEach(async () => {
  await api?.close();
  api = undefined;
});

test('start several nodes: one unknown (inspector error shape), the others started; exit 1', async () => {
  api = await fakeApi({
    'POST /v1/introspection/:node': (req) =>
      req.path.endsWith('/ghost') ? inspectorError(404, 'Node ghost was not found') : { status: 202 },
  });
  const h = harness({ api });
  expect(await h.run('introspection', 'start', 'rack1-u01', 'ghost', 'rack1-u02')).toBe(1);
  expect(api.requests.map((r) => r.path)).toEqual([
    '/v1/introspection/rack1-u01',
    '/v1/introspection/ghost',
    '/v1/introspection/rack1-u02',
  ]);
  expect(h.stdout.text).toBe('Introspection of rack1-u01 started\nIntrospection of rack1-u02 started\n');
  expect(h.stderr.text).toBe('error: ghost: Node ghost was not found\n');
});

test('start --wait: polls every 2 s until every node is finished, prints the final table', async () => {
  const seq: Record<string, StatusBody[]> = {
    'rack1-u01': [
      status(U1, 'starting'),
      status(U1, 'waiting', { detail: 'waiting for agent, boot attempt 1/2, powered on at 2025-03-01T10:00:01Z' }),
      status(U1, 'processing'),
      status(U1, 'finished'),
    ],
    'rack1-u02': [status(U2, 'waiting'), status(U2, 'error', { error: 'timed out waiting for the agent' })],
  };
  const seen: Record<string, number> = {};
  api = await fakeApi({
    'POST /v1/introspection/:node': () => ({ status: 202 }),
    'GET /v1/introspection/:node': (req) => {
      const name = req.path.split('/').pop()!;
      const n = (seen[name] = (seen[name] ?? -1) + 1);
      return { body: seq[name][Math.min(n, seq[name].length - 1)] };
    },
  });
  const h = harness({ api });
  expect(await h.run('introspection', 'start', 'rack1-u01', 'rack1-u02', '--wait')).toBe(1);
  expect(h.sleeps.every((ms) => ms === 2000)).toBe(true);
  expect(h.sleeps).toHaveLength(3);
  // A finished node is not asked again.
  expect(api.calls('GET /v1/introspection/rack1-u02')).toHaveLength(2);
  expect(h.stderr.text).toContain('rack1-u01: waiting (waiting for agent, boot attempt 1/2, powered on at 2025-03-01T10:00:01Z)');
  expect(h.stderr.text).toContain('rack1-u02: error: timed out waiting for the agent');
  const table = h.stdout.text.slice(h.stdout.text.indexOf('NODE'));
  expect(table).toMatch(/^NODE\s+UUID\s+STATE\s+ERROR\s+ELAPSED\n/);
  expect(table).toMatch(new RegExp(`rack1-u01\\s+${U1}\\s+finished\\s+-\\s+5m00s`));
  expect(table).toMatch(new RegExp(`rack1-u02\\s+${U2}\\s+error\\s+timed out waiting for the agent\\s+5m00s`));
});

test('start --wait --json: the final statuses as JSON; all finished: exit 0', async () => {
  api = await fakeApi({
    'POST /v1/introspection/:node': () => ({ status: 202 }),
    'GET /v1/introspection/:node': (_req, n) => ({ body: n === 0 ? status(U1, 'waiting') : status(U1, 'finished') }),
  });
  const h = harness({ api });
  expect(await h.run('--json', 'introspection', 'start', 'rack1-u01', '--wait')).toBe(0);
  const out = JSON.parse(h.stdout.text);
  expect(out.started).toEqual([status(U1, 'finished')]);
  expect(out.failed).toEqual([]);
});

test('start --wait, Ctrl-C: stops waiting, says how to abort; exit 130', async () => {
  api = await fakeApi({
    'POST /v1/introspection/:node': () => ({ status: 202 }),
    'GET /v1/introspection/:node': () => ({ body: status(U1, 'waiting') }),
  });
  const h = harness({ api, onSleep: (n, self) => n === 3 && self.interrupt() });
  expect(await h.run('introspection', 'start', 'rack1-u01', '--wait')).toBe(130);
  expect(h.stderr.text).toContain('introspector introspection abort rack1-u01');
  expect(h.listeners()).toBe(0);
});

test('status: the detail sentence with the time since the start', async () => {
  api = await fakeApi({
    'GET /v1/introspection/:node': () => ({
      body: status(U1, 'waiting', { detail: 'waiting for agent, boot attempt 1/2, powered on at 2025-03-01T10:00:03Z' }),
    }),
  });
  const h = harness({ api });
  h.clock.now = T0 + 252_000;
  expect(await h.run('introspection', 'status', 'rack1-u01')).toBe(0);
  const out = h.stdout.text;
  expect(out).toMatch(new RegExp(`^node:\\s+${U1}\\n`));
  expect(out).toMatch(/\nstate:\s+waiting\n/);
  expect(out).toMatch(/\nfinished:\s+false\n/);
  expect(out).toMatch(/\nerror:\s+-\n/);
  expect(out).toMatch(/\nelapsed:\s+4m12s\n/);
  expect(out).toMatch(/\ndetail:\s+waiting for agent, boot attempt 1\/2, powered on 4m09s ago\n$/);

  const j = harness({ api });
  expect(await j.run('introspection', 'status', 'rack1-u01', '--json')).toBe(0);
  expect(JSON.parse(j.stdout.text).detail).toContain('boot attempt 1/2');
});

test('status of a boot that stopped: the phase it got to, every phase with its time after the power-on, and the hint', async () => {
  const hint = 'ramdisk fetched but no agent: read the console log';
  api = await fakeApi({
    'GET /v1/introspection/:node': () => ({
      body: status(U1, 'error', {
        error: `timeout: no agent called back within 300 s after 1 boot attempt(s); the last boot stopped after ramdisk fetched at ${iso(9000)}: ${hint}`,
        boot_phase: 'ramdisk_fetched',
        boot_phases: [
          { phase: 'powered_on', at: iso(1000) },
          { phase: 'script_fetched', at: iso(42_000) },
          { phase: 'ramdisk_fetched', at: iso(49_000) },
        ],
        hint,
      }),
    }),
  });
  const h = harness({ api });
  expect(await h.run('introspection', 'status', 'rack1-u01')).toBe(0);
  expect(h.stdout.text).toMatch(/\nboot_phase:\s+ramdisk fetched\n/);
  expect(h.stdout.text).toMatch(/\nboot_phases:\s+power-on accepted \+0s, iPXE script fetched \+41s, ramdisk fetched \+48s\n/);
  expect(h.stdout.text).toMatch(new RegExp(`\nhint:\\s+${hint}\n$`));
});

test('status of a node never introspected: the API message, exit 1', async () => {
  api = await fakeApi({ 'GET /v1/introspection/:node': () => inspectorError(404, `Introspection for node ${U1} not found`) });
  const h = harness({ api });
  expect(await h.run('introspection', 'status', U1)).toBe(1);
  expect(h.stderr.text).toBe(`error: Introspection for node ${U1} not found (HTTP 404)\n`);
});

test('list', async () => {
  api = await fakeApi({
    'GET /v1/introspection': () => ({
      body: { introspection: [status(U1, 'finished'), status(U2, 'error', { error: 'BMC refused the password' })] },
    }),
  });
  const h = harness({ api });
  expect(await h.run('introspection', 'list', '--limit', '5')).toBe(0);
  expect(api.requests[0].query).toEqual({ limit: '5' });
  const lines = h.stdout.text.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^UUID\s+STATE\s+ERROR\s+STARTED AT\s+ELAPSED$/);
  expect(lines[2]).toMatch(new RegExp(`^${U2}\\s+error\\s+BMC refused the password\\s+2025-03-01T10:00:00.000Z\\s+5m00s$`));

  const next = harness({ api });
  expect(await next.run('introspection', 'list', '--marker', U2, '--state', 'waiting,processing')).toBe(0);
  expect(api.requests[1].query).toEqual({ marker: U2, state: 'waiting,processing' });
});

test('abort and reprocess', async () => {
  api = await fakeApi({
    'POST /v1/introspection/:node/abort': () => ({ status: 202 }),
    'POST /v1/introspection/:node/data/unprocessed': () => ({ status: 202 }),
  });
  const h = harness({ api });
  expect(await h.run('introspection', 'abort', 'rack1-u01')).toBe(0);
  expect(await h.run('introspection', 'reprocess', 'rack1-u01')).toBe(0);
  expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
    'POST /v1/introspection/rack1-u01/abort',
    'POST /v1/introspection/rack1-u01/data/unprocessed',
  ]);
  expect(h.stdout.text).toContain('Abort of the introspection of rack1-u01 requested');
  expect(h.stdout.text).toContain('Reprocessing of the stored data of rack1-u01 started');
});

test('abort of an introspection that is not running: 409 message, exit 1', async () => {
  api = await fakeApi({ 'POST /v1/introspection/:node/abort': () => inspectorError(409, `introspection of node ${U1} is not running`) });
  const h = harness({ api });
  expect(await h.run('introspection', 'abort', U1)).toBe(1);
  expect(h.stderr.text).toBe(`error: introspection of node ${U1} is not running (HTTP 409)\n`);
});

test('data save: JSON to stdout, or to a file', async () => {
  const data = { inventory: { cpu: { count: 16 }, interfaces: [{ mac_address: '52:54:00:12:34:56' }] }, memory_mb: 65536 };
  api = await fakeApi({
    'GET /v1/introspection/:node/data': () => ({ body: data }),
    'GET /v1/introspection/:node/data/unprocessed': () => ({ body: { raw: true } }),
  });
  const h = harness({ api });
  expect(await h.run('introspection', 'data', 'save', 'rack1-u01')).toBe(0);
  expect(JSON.parse(h.stdout.text)).toEqual(data);

  const file = path.join(dir, 'data.json');
  const f = harness({ api });
  expect(await f.run('introspection', 'data', 'save', 'rack1-u01', '--file', file)).toBe(0);
  expect(JSON.parse(await fs.readFile(file, 'utf8'))).toEqual(data);
  expect(f.stdout.text).toBe('');
  expect(f.stderr.text).toContain(`to ${file}`);

  const u = harness({ api });
  expect(await u.run('introspection', 'data', 'save', 'rack1-u01', '--unprocessed')).toBe(0);
  expect(JSON.parse(u.stdout.text)).toEqual({ raw: true });
});

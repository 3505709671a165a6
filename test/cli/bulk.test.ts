// `introspection bulk ...` against a local server that plays the inspector API.

import type { BulkNode, BulkStatus } from '../../cli/commands/bulk';
import { type FakeApi, type Handler, T0, fakeApi, harness, inspectorError, plain } from './helpers';

const ID = 'bulk-7f3a';
const iso = (ms: number) => new Date(T0 + ms).toISOString();

const node = (i: number, state: string, error: string | null = null, detail: string | null = null): BulkNode => ({
  uuid: `00000000-0000-4000-8000-00000000000${i}`,
  name: `rack1-u0${i}`,
  state,
  error,
  detail,
  started_at: state === 'pending' ? null : iso(0),
  finished_at: ['finished', 'error', 'skipped'].includes(state) ? iso(4000) : null,
});

function snap(state: string, c: Partial<BulkStatus>, nodes: BulkNode[] = []): BulkStatus {
  return {
    bulk_id: ID,
    state,
    total: 5,
    pending: 0,
    running: 0,
    finished: 0,
    failed: 0,
    skipped: 0,
    started_at: iso(0),
    finished_at: state === 'running' ? null : iso(4500),
    nodes,
    ...c,
  };
}

const TIMEOUT_ERR = 'timed out after 900s waiting for the agent (powered on at 2025-03-01T10:00:01Z)';
const BMC_ERR = 'BMC 10.1.0.4: ipmitool chassis power on failed: Unable to establish IPMI v2 / RMCP+ session';

/** Counts advance over the polls (one poll repeats), then the run ends with 2 failures. */
const withFailures: BulkStatus[] = [
  snap('running', { pending: 5 }),
  snap('running', { pending: 2, running: 3 }),
  snap('running', { pending: 2, running: 3 }),
  snap('running', { running: 3, finished: 1, failed: 1 }),
  snap('finished', { finished: 3, failed: 2 }, [
    node(1, 'finished'),
    node(2, 'error', TIMEOUT_ERR),
    node(3, 'finished'),
    node(4, 'error', BMC_ERR),
    node(5, 'finished'),
  ]),
];

function bulkApi(snapshots: BulkStatus[], extra: Record<string, Handler> = {}): Promise<FakeApi> {
  return fakeApi({
    'POST /v1/introspection': () => ({ status: 202, body: { bulk_id: ID, links: [{ href: `/v1/introspection/bulk/${ID}`, rel: 'self' }] } }),
    'GET /v1/introspection/bulk/:id': (_req, n) => ({ body: snapshots[Math.min(n, snapshots.length - 1)] }),
    ...extra,
  });
}

let api: FakeApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

test('counts advance, the run ends with 2 failures: one line per change, summary lists both, exit 1', async () => {
  api = await bulkApi(withFailures);
  const h = harness({ api });
  const code = await h.run('introspection', 'bulk', 'start', '--rack', 'r1', '--concurrency', '2', '--node-timeout', '900', '--boot-timeout', '30', '--boot-attempts', '3', '--stagger', '0.5');

  expect(code).toBe(1);
  expect(api.calls('POST /v1/introspection')[0].body).toEqual({
    filters: { rack: 'r1' },
    concurrency: 2,
    node_timeout: 900,
    boot_timeout: 30,
    boot_attempts: 3,
    stagger: 0.5,
  });
  // One call a tick, whatever the size of the run: the counts and a page of the failed and skipped nodes.
  expect(api.calls(`GET /v1/introspection/bulk/${ID}`)).toHaveLength(5);
  expect(new Set(api.calls(`GET /v1/introspection/bulk/${ID}`).map((c) => JSON.stringify(c.query)))).toEqual(new Set([JSON.stringify({ state: 'failed,skipped', limit: '50' })]));
  expect(h.sleeps).toEqual([1000, 1000, 1000, 1000]);

  const out = h.stdout.text;
  expect(out).not.toMatch(/\x1b/);
  const progress = out.split('\n').filter((l) => l.startsWith('progress:'));
  expect(progress).toEqual([
    'progress: 0/5 done (0%), running 0, finished 0, failed 0, skipped 0, pending 5 [0s]',
    'progress: 0/5 done (0%), running 3, finished 0, failed 0, skipped 0, pending 2 [1s]',
    'progress: 2/5 done (40%), running 3, finished 1, failed 1, skipped 0, pending 0 [3s]',
    'progress: 5/5 done (100%), running 0, finished 3, failed 2, skipped 0, pending 0 [4s]',
  ]);
  expect(out).toContain(`Bulk introspection ${ID}: finished in 4s`);
  expect(out).toContain('5 nodes: 3 finished, 2 failed, 0 skipped, 0 running, 0 pending');
  const failed = out.slice(out.indexOf('Failed (2):'));
  expect(failed.split('\n')[1]).toMatch(/^NAME\s+UUID\s+ERROR$/);
  expect(failed).toMatch(new RegExp(`rack1-u02\\s+00000000-0000-4000-8000-000000000002\\s+${TIMEOUT_ERR.replace(/[()/+.]/g, '\\$&')}`));
  expect(failed).toMatch(/rack1-u04\s+00000000-0000-4000-8000-000000000004\s+BMC 10\.1\.0\.4: ipmitool chassis power on failed/);
  expect(out).not.toContain('rack1-u01');
  expect(out).not.toContain('Skipped');
  expect(h.stderr.text).toBe('');
  expect(h.listeners()).toBe(0);
});

test('on a terminal: the bar is redrawn in place and the cursor comes back', async () => {
  api = await bulkApi(withFailures);
  const h = harness({ api, tty: true, columns: 100 });
  expect(await h.run('introspection', 'bulk', 'start', 'rack1-u01', 'rack1-u02')).toBe(1);
  expect(api.calls('POST /v1/introspection')[0].body).toEqual({ nodes: ['rack1-u01', 'rack1-u02'] });
  const out = h.stdout.text;
  expect(out).toContain('\x1b[?25l');
  const frames = out.split('\r\x1b[2K').slice(1).map((f) => plain(f).split('\n')[0]);
  expect(frames.length).toBeGreaterThanOrEqual(5);
  for (const f of frames) expect(f.length).toBeLessThanOrEqual(99);
  expect(frames[0]).toMatch(/^\[░+\]  0\/5  0%  0s   running 0  finished 0  failed 0  skipped 0  pending 5$/);
  expect(frames.at(-1)).toMatch(/^\[█+\]  5\/5  100%  4s   /);
  const restored = out.indexOf('\n\x1b[?25h');
  expect(restored).toBeGreaterThan(0);
  expect(out.indexOf('Failed (2):')).toBeGreaterThan(restored);
  expect(out.split('\n').filter((l) => l.includes('progress:'))).toHaveLength(0);
});

test('all finished: exit 0, no failure table', async () => {
  api = await bulkApi([
    snap('running', { pending: 3, running: 2 }),
    snap('finished', { finished: 5 }, [1, 2, 3, 4, 5].map((i) => node(i, 'finished'))),
  ]);
  const h = harness({ api });
  expect(await h.run('introspection', 'bulk', 'start', '--all-manageable')).toBe(0);
  expect(api.calls('POST /v1/introspection')[0].body).toEqual({ all_manageable: true });
  expect(h.stdout.text).toContain('5 nodes: 5 finished, 0 failed');
  expect(h.stdout.text).not.toContain('Failed');
});

test('skipped nodes are listed with the reason and make the exit code 1', async () => {
  api = await bulkApi([
    snap('finished', { finished: 4, skipped: 1 }, [
      node(1, 'skipped', null, 'node is in maintenance mode'),
      ...[2, 3, 4, 5].map((i) => node(i, 'finished')),
    ]),
  ]);
  const h = harness({ api });
  expect(await h.run('introspection', 'bulk', 'start', '--resource-class', 'baremetal', '--name-prefix', 'rack1-')).toBe(1);
  expect(api.calls('POST /v1/introspection')[0].body).toEqual({
    filters: { resource_class: 'baremetal', name_prefix: 'rack1-' },
  });
  expect(h.stdout.text).toMatch(/Skipped \(1\):\nNAME\s+UUID\s+REASON\nrack1-u01\s+\S+\s+node is in maintenance mode/);
});

test('an aborted run: exit 1, says how many nodes were not introspected', async () => {
  api = await bulkApi([snap('aborted', { finished: 1, failed: 1, pending: 3 }, [node(1, 'finished'), node(2, 'error', 'aborted')])]);
  const h = harness({ api });
  expect(await h.run('introspection', 'bulk', 'start', '--all-manageable')).toBe(1);
  expect(h.stdout.text).toContain(`Bulk introspection ${ID}: aborted after 4s`);
  expect(h.stdout.text).toContain('3 nodes were not introspected');
});

test('Ctrl-C while waiting: stops at once, asks nothing, prints how to abort; exit 130', async () => {
  api = await bulkApi([snap('running', { pending: 5 }), snap('running', { pending: 4, running: 1 })]);
  const h = harness({ api, tty: true, columns: 120, onSleep: (n, self) => n === 2 && self.interrupt() });
  expect(await h.run('introspection', 'bulk', 'start', '--all-manageable')).toBe(130);
  expect(api.calls(`GET /v1/introspection/bulk/${ID}`)).toHaveLength(2);
  expect(h.stdout.text.endsWith('\n\x1b[?25h')).toBe(true);
  expect(h.stderr.text).toContain(`introspector introspection bulk abort ${ID}`);
  expect(h.stderr.text).toContain(`introspector introspection bulk status ${ID}`);
  expect(h.listeners()).toBe(0);
  expect(api.calls(`POST /v1/introspection/bulk/${ID}/abort`)).toHaveLength(0);
});

test('Ctrl-C during a slow poll interrupts the request itself', async () => {
  let h!: ReturnType<typeof harness>;
  api = await bulkApi([], {
    'GET /v1/introspection/bulk/:id': () => {
      setTimeout(() => h.interrupt(), 10);
      return { hang: true };
    },
  });
  h = harness({ api });
  expect(await h.run('introspection', 'bulk', 'start', 'n1')).toBe(130);
  expect(h.stderr.text).toContain(`introspector introspection bulk abort ${ID}`);
});

test('--json: stdout is the final status as JSON, progress goes to stderr', async () => {
  api = await bulkApi(withFailures);
  const h = harness({ api });
  expect(await h.run('introspection', 'bulk', 'start', '--all-manageable', '--json')).toBe(1);
  expect(JSON.parse(h.stdout.text)).toEqual(withFailures[4]);
  expect(h.stderr.text).toContain('progress: 5/5 done (100%)');
});

test('--no-wait: prints the id (and how to follow it) without polling', async () => {
  api = await bulkApi(withFailures);
  const h = harness({ api });
  expect(await h.run('introspection', 'bulk', 'start', '--all-manageable', '--no-wait')).toBe(0);
  expect(h.stdout.text).toContain(`Bulk introspection ${ID} started`);
  expect(h.stdout.text).toContain(`introspector introspection bulk abort ${ID}`);
  expect(api.calls(`GET /v1/introspection/bulk/${ID}`)).toHaveLength(0);

  const j = harness({ api });
  expect(await j.run('--json', 'introspection', 'bulk', 'start', '--all-manageable', '--no-wait')).toBe(0);
  expect(JSON.parse(j.stdout.text)).toMatchObject({ bulk_id: ID });
});

test('a transient poll error is a warning; the run is still followed to the end', async () => {
  api = await bulkApi([], {
    'GET /v1/introspection/bulk/:id': (_req, n) =>
      n === 1 ? inspectorError(503, 'temporal unavailable') : { body: n === 0 ? withFailures[0] : snap('finished', { finished: 5 }) },
  });
  const h = harness({ api });
  expect(await h.run('introspection', 'bulk', 'start', '--all-manageable')).toBe(0);
  expect(h.stdout.text).toContain('warning: temporal unavailable; retrying');
});

test('a bulk id the API does not know: the message, exit 1', async () => {
  api = await bulkApi([], { 'GET /v1/introspection/bulk/:id': () => inspectorError(404, `Bulk introspection ${ID} not found`) });
  const h = harness({ api });
  expect(await h.run('introspection', 'bulk', 'start', '--all-manageable')).toBe(1);
  expect(h.stderr.text).toBe(`error: Bulk introspection ${ID} not found (HTTP 404)\n`);
});

test('the API refuses the start: its message, exit 1', async () => {
  api = await fakeApi({ 'POST /v1/introspection': () => inspectorError(400, 'filters.rack: no nodes match') });
  const h = harness({ api });
  expect(await h.run('introspection', 'bulk', 'start', '--rack', 'r9')).toBe(1);
  expect(h.stderr.text).toBe('error: filters.rack: no nodes match (HTTP 400)\n');
});

describe('validation: exit 2, the message names the flag, nothing is sent', () => {
  test.each([
    [['--all-manageable', '--concurrency', '0'], "option '--concurrency <n>' argument '0' is invalid"],
    [['--all-manageable', '--concurrency', 'four'], "option '--concurrency <n>' argument 'four' is invalid"],
    [['--all-manageable', '--concurrency', '1.5'], "option '--concurrency <n>' argument '1.5' is invalid"],
    [['n1', '--node-timeout', '0'], "option '--node-timeout <seconds>' argument '0' is invalid"],
    [['n1', '--boot-attempts', '0'], "option '--boot-attempts <n>' argument '0' is invalid"],
    [['n1', '--stagger=-1'], "option '--stagger <seconds>' argument '-1' is invalid"],
    [['n1', '--all-manageable'], 'choose one way to select nodes'],
    [['--all-manageable', '--rack', 'r1'], 'choose one way to select nodes'],
    [[], 'say which nodes'],
  ])('%j', async (args, message) => {
    api = await bulkApi(withFailures);
    const h = harness({ api });
    expect(await h.run('introspection', 'bulk', 'start', ...args)).toBe(2);
    expect(h.stderr.text).toContain(message);
    expect(api.requests).toHaveLength(0);
  });
});

test('bulk status: state, counts, failures so far and the running nodes with their detail', async () => {
  api = await bulkApi([
    snap('running', { pending: 1, running: 2, finished: 1, failed: 1, finished_at: null }, [
      node(1, 'finished'),
      node(2, 'error', TIMEOUT_ERR),
      node(3, 'waiting', null, 'waiting for agent, boot attempt 1/2, powered on at 2025-03-01T10:00:01Z'),
      node(4, 'processing'),
      node(5, 'pending'),
    ]),
  ]);
  const h = harness({ api });
  h.clock.now = T0 + 252_000;
  expect(await h.run('introspection', 'bulk', 'status', ID)).toBe(0);
  const out = h.stdout.text;
  expect(out).toContain(`Bulk introspection ${ID}: running for 4m12s`);
  expect(out).toContain('5 nodes: 1 finished, 1 failed, 0 skipped, 2 running, 1 pending');
  expect(out).toContain('Failed (1):');
  expect(out).toMatch(/Running \(2\):\nNAME\s+UUID\s+STATE\s+DETAIL\s+ELAPSED\n/);
  expect(out).toMatch(/rack1-u03\s+\S+\s+waiting\s+waiting for agent, boot attempt 1\/2, powered on 4m11s ago\s+4m12s/);
  expect(out).toMatch(/rack1-u04\s+\S+\s+processing\s+-\s+4m12s/);
  expect(out).not.toContain('progress:');

  const j = harness({ api });
  expect(await j.run('--json', 'introspection', 'bulk', 'status', ID)).toBe(0);
  expect(JSON.parse(j.stdout.text).bulk_id).toBe(ID);
});

test('bulk status: the failures grouped by the boot phase they stopped after (most first, ties in boot order) with what that usually means', async () => {
  api = await bulkApi([
    snap('finished', { finished: 1, failed: 4, failures_by_phase: { none: 1, powered_on: 2, ramdisk_fetched: 1 } }, [
      node(1, 'finished'),
      node(2, 'error', TIMEOUT_ERR),
      node(3, 'error', TIMEOUT_ERR),
      node(4, 'error', BMC_ERR),
      node(5, 'error', TIMEOUT_ERR),
    ]),
  ]);
  const h = harness({ api });
  expect(await h.run('introspection', 'bulk', 'status', ID)).toBe(0);
  const section = h.stdout.text.split('Failed by boot phase (3):\n')[1].trimEnd().split('\n');
  expect(section[0]).toMatch(/^NODES\s+STOPPED AFTER\s+WHAT THAT USUALLY MEANS$/);
  expect(section[1]).toMatch(/^2\s+power-on accepted\s+PXE never reached us: check DHCP and the provisioning VLAN/);
  expect(section[2]).toMatch(/^1\s+never powered on\s+-$/);
  expect(section[3]).toMatch(/^1\s+ramdisk fetched\s+ramdisk fetched but no agent: read the console log/);
});

test('bulk status of a large run: the counts cover every node, the sections the page the server sent; --all pages through every node', async () => {
  const failures = Array.from({ length: 3 }, (_, i) => node(i + 1, 'failed', BMC_ERR));
  api = await bulkApi([snap('finished', { total: 5000, finished: 4880, failed: 120 }, failures)], {
    'GET /v1/introspection/bulk/:id': (req) => {
      if (req.query.marker === undefined) return { body: snap('finished', { total: 5000, finished: 4880, failed: 120 }, failures) };
      return { body: snap('finished', { total: 5000, finished: 4880, failed: 120 }, req.query.marker === failures[2].uuid ? [node(4, 'finished')] : []) };
    },
  });
  const h = harness({ api });
  expect(await h.run('introspection', 'bulk', 'status', ID)).toBe(0);
  expect(api.calls(`GET /v1/introspection/bulk/${ID}`)[0].query).toEqual({ state: 'failed,skipped,running', limit: '100' });
  expect(h.stdout.text).toContain('5000 nodes: 4880 finished, 120 failed');
  expect(h.stdout.text).toContain('Failed (120; the first 3):');

  const all = harness({ api });
  expect(await all.run('--json', 'introspection', 'bulk', 'status', ID, '--all')).toBe(0);
  expect(api.calls(`GET /v1/introspection/bulk/${ID}`).slice(1).map((c) => c.query)).toEqual([{}, { marker: failures[2].uuid }, { marker: node(4, 'finished').uuid }]);
  expect(JSON.parse(all.stdout.text).nodes.map((n: BulkNode) => n.uuid)).toEqual([...failures, node(4, 'finished')].map((n) => n.uuid));
});

test('bulk abort and bulk list', async () => {
  api = await fakeApi({
    'POST /v1/introspection/bulk/:id/abort': () => ({ status: 202 }),
    'GET /v1/introspection/bulk': () => ({
      body: {
        bulks: [
          { bulk_id: ID, state: 'running', total: 40, finished: 12, failed: 1, started_at: iso(0) },
          { bulk_id: 'bulk-0001', state: 'finished', total: 3, finished: 3, failed: 0, started_at: iso(-86_400_000) },
        ],
      },
    }),
  });
  const h = harness({ api });
  expect(await h.run('introspection', 'bulk', 'abort', ID)).toBe(0);
  expect(api.calls(`POST /v1/introspection/bulk/${ID}/abort`)).toHaveLength(1);
  expect(h.stdout.text).toContain(`Abort of bulk introspection ${ID} requested`);

  const l = harness({ api });
  expect(await l.run('introspection', 'bulk', 'list')).toBe(0);
  const lines = l.stdout.text.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^BULK ID\s+STATE\s+TOTAL\s+FINISHED\s+FAILED\s+STARTED AT$/);
  expect(lines[1]).toMatch(new RegExp(`^${ID}\\s+running\\s+40\\s+12\\s+1\\s+2025-03-01T10:00:00.000Z$`));
  expect(lines).toHaveLength(3);

  const p = harness({ api });
  expect(await p.run('introspection', 'bulk', 'list', '--limit', '1', '--marker', 'bulk-0002')).toBe(0);
  expect(api.calls('GET /v1/introspection/bulk').at(-1)?.query).toEqual({ limit: '1', marker: 'bulk-0002' });

  const j = harness({ api });
  expect(await j.run('introspection', 'bulk', 'list', '--json')).toBe(0);
  expect(JSON.parse(j.stdout.text).bulks).toHaveLength(2);
});

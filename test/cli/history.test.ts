// `introspection history` and `introspection diff` against a local server that plays the inspector API.

import type { HistoryDiffBody, HistoryEntryBody } from '../../api/introspections';
import { type FakeApi, T0, fakeApi, harness, inspectorError } from './helpers';

const U1 = '00000000-0000-4000-8000-000000000001';
const iso = (ms: number) => new Date(T0 + ms).toISOString();

const entry = (id: number, source: HistoryEntryBody['source']): HistoryEntryBody => ({
  id,
  uuid: U1,
  run_id: `run-${id}`,
  source,
  bulk_id: null,
  started_at: iso(id * 60_000),
  finished_at: iso(id * 60_000 + 30_000),
  sha256: String(id).repeat(64),
  processed_bytes: 1000,
  unprocessed_bytes: 2000,
  links: [],
});

const diffBody: HistoryDiffBody = {
  from: entry(2, 'introspection'),
  to: entry(3, 'reapply'),
  diff: {
    changes: [
      { section: 'memory', kind: 'changed', what: 'total', from: '64 GiB', to: '48 GiB' },
      { section: 'disks', kind: 'removed', what: 'sdb (S4EVNX0R000002)', from: '447.1 GiB', to: null },
    ],
    unknown: [],
  },
};

let api: FakeApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

test('history: a table of id, finished, source and hash, newest first as the API answers; paging options passed on', async () => {
  api = await fakeApi({ 'GET /v1/introspection/:node/history': () => ({ body: { history: [entry(3, 'reapply'), entry(2, 'introspection')] } }) });
  const h = harness({ api });
  expect(await h.run('introspection', 'history', 'rack1-u01', '--limit', '2', '--marker', '4')).toBe(0);
  expect(api.calls('GET /v1/introspection/rack1-u01/history')[0].query).toEqual({ limit: '2', marker: '4' });
  const lines = h.stdout.text.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^ID\s+FINISHED\s+SOURCE\s+SHA256$/);
  expect(lines[1]).toMatch(new RegExp(`^3\\s+${iso(210_000)}\\s+reapply\\s+${'3'.repeat(64)}$`));
  expect(lines[2]).toMatch(new RegExp(`^2\\s+${iso(150_000)}\\s+introspection\\s+${'2'.repeat(64)}$`));
});

test('diff: names both introspections, then the table of changes; --from/--to passed on; --json prints the answer', async () => {
  api = await fakeApi({ 'GET /v1/introspection/:node/diff': () => ({ body: diffBody }) });
  const h = harness({ api });
  expect(await h.run('introspection', 'diff', 'rack1-u01', '--from', '2', '--to', '3')).toBe(0);
  expect(api.calls('GET /v1/introspection/rack1-u01/diff')[0].query).toEqual({ from: '2', to: '3' });
  expect(h.stdout.text).toMatch(new RegExp(`^rack1-u01: from introspection 2 \\(introspection, ${iso(150_000)}\\) to 3 \\(reapply, ${iso(210_000)}\\)\n`));
  expect(h.stdout.text).toMatch(/SECTION\s+CHANGE\s+WHAT\s+FROM\s+TO\n/);
  expect(h.stdout.text).toMatch(/memory\s+changed\s+total\s+64 GiB\s+48 GiB\n/);
  expect(h.stdout.text).toMatch(/disks\s+removed\s+sdb \(S4EVNX0R000002\)\s+447\.1 GiB\s+-\n/);

  const j = harness({ api });
  expect(await j.run('introspection', 'diff', 'rack1-u01', '--json')).toBe(0);
  expect(api.calls('GET /v1/introspection/rack1-u01/diff')[1].query).toEqual({});
  expect(JSON.parse(j.stdout.text)).toEqual(diffBody);
});

test("diff of a node with one introspection: the API's message, exit 1; a bad --from is a usage error naming it", async () => {
  const message = `node ${U1} has one introspection in its history: a diff needs two (introspect or reapply it again)`;
  api = await fakeApi({ 'GET /v1/introspection/:node/diff': () => inspectorError(409, message) });
  const h = harness({ api });
  expect(await h.run('introspection', 'diff', 'rack1-u01')).toBe(1);
  expect(h.stderr.text).toBe(`error: ${message} (HTTP 409)\n`);

  const bad = harness({ api });
  expect(await bad.run('introspection', 'diff', 'rack1-u01', '--from', 'latest')).toBe(2);
  expect(bad.stderr.text).toMatch(/option '--from <id>' argument 'latest' is invalid/);
  expect(api.calls('GET /v1/introspection/rack1-u01/diff')).toHaveLength(1);
});

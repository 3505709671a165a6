// `nodes query` against a local server that plays the inspector API's GET /v1/fleet/query.

import { type FakeApi, fakeApi, harness, inspectorError } from './helpers';

const A = { uuid: '00000000-0000-4000-8000-00000000000a', name: 'r1-n1', fields: { memory_mb: 131072, 'count(disks)': 4 } };
const B = { uuid: '00000000-0000-4000-8000-00000000000b', name: null, fields: { memory_mb: 65536, 'count(disks)': 6 } };

let api: FakeApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const fleetApi = () =>
  fakeApi({
    'GET /v1/fleet/query': (req) => {
      if (req.query.expr === 'memory_mb <') return inspectorError(400, 'expr: at position 11: expected a value, a field or "(", found the end of the expression');
      if (req.query.limit === '1') return { body: req.query.marker ? { nodes: [B] } : { nodes: [A], next: A.uuid } };
      return { body: { nodes: [A, B] } };
    },
  });

test('prints the matching nodes as a table with the fields the expression read', async () => {
  api = await fleetApi();
  const h = harness({ api });
  expect(await h.run('nodes', 'query', 'memory_mb < 262144 and count(disks) >= 4')).toBe(0);
  expect(api.calls('GET /v1/fleet/query')[0]!.query).toEqual({ expr: 'memory_mb < 262144 and count(disks) >= 4' });
  const lines = h.stdout.text.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^UUID\s+NAME\s+MEMORY_MB\s+COUNT\(DISKS\)$/);
  expect(lines[1]).toMatch(new RegExp(`^${A.uuid}\\s+r1-n1\\s+131072\\s+4$`));
  expect(lines[2]).toMatch(new RegExp(`^${B.uuid}\\s+-\\s+65536\\s+6$`));
  expect(h.stderr.text).toBe('');
});

test('--json prints the answer; --limit pages and says how to go on; --all follows the pages', async () => {
  api = await fleetApi();
  const j = harness({ api });
  expect(await j.run('--json', 'nodes', 'query', 'true')).toBe(0);
  expect(JSON.parse(j.stdout.text)).toEqual({ nodes: [A, B] });

  const p = harness({ api });
  expect(await p.run('nodes', 'query', '--limit', '1', 'true')).toBe(0);
  expect(p.stdout.text).toContain(A.uuid);
  expect(p.stdout.text).not.toContain(B.uuid);
  expect(p.stderr.text).toContain(`--marker ${A.uuid}`);

  const all = harness({ api });
  expect(await all.run('--json', 'nodes', 'query', '--limit', '1', '--all', 'true')).toBe(0);
  expect(JSON.parse(all.stdout.text)).toEqual({ nodes: [A, B] });
  expect(api.calls('GET /v1/fleet/query').at(-1)!.query).toEqual({ expr: 'true', limit: '1', marker: A.uuid });
});

test('a parse error is the API message with its position, exit 1; bad flags exit 2', async () => {
  api = await fleetApi();
  const h = harness({ api });
  expect(await h.run('nodes', 'query', 'memory_mb <')).toBe(1);
  expect(h.stderr.text).toContain('at position 11: expected a value');
  expect(h.stderr.text).toContain('HTTP 400');
  const u = harness({ api });
  expect(await u.run('nodes', 'query', '--limit', '0', 'true')).toBe(2);
  expect(await harness({ api }).run('nodes', 'query')).toBe(2);
});

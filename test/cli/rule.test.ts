// `rule ...` against a local server that plays the inspector API's rules endpoints.

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type FakeApi, fakeApi, harness, inspectorError } from './helpers';

const RULE_A = {
  description: 'big memory',
  conditions: [{ op: 'ge', field: 'node://properties.memory_mb', value: 65536 }],
  actions: [{ action: 'add-trait', name: 'CUSTOM_BIG_MEMORY' }],
};
const RULE_B = { description: 'x86', conditions: [], actions: [{ action: 'set-attribute', path: '/extra/arch', value: 'x86' }] };

let api: FakeApi | undefined;
let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-rule-'));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function file(name: string, content: unknown): Promise<string> {
  const p = path.join(dir, name);
  await fs.writeFile(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

const rulesApi = () =>
  fakeApi({
    'POST /v1/rules': (req, n) => {
      const body = req.body as { description?: string };
      if (body.description === 'bad') return inspectorError(400, 'actions[0]: unknown action "explode"');
      return { status: 201, body: { uuid: `r-${n + 1}`, ...body } };
    },
    'GET /v1/rules': () => ({ body: { rules: [{ uuid: 'r-1', description: 'big memory' }, { uuid: 'r-2', description: null }] } }),
    'GET /v1/rules/:uuid': () => ({ body: { uuid: 'r-1', ...RULE_A } }),
    'DELETE /v1/rules/:uuid': () => ({ status: 204 }),
    'DELETE /v1/rules': () => ({ status: 204 }),
  });

test('import a list: one POST per rule, the created rules listed', async () => {
  api = await rulesApi();
  const h = harness({ api });
  expect(await h.run('rule', 'import', await file('list.json', [RULE_A, RULE_B]))).toBe(0);
  expect(api.calls('POST /v1/rules').map((r) => r.body)).toEqual([RULE_A, RULE_B]);
  expect(h.stdout.text).toMatch(/^Imported 2 rules\nUUID\s+DESCRIPTION\nr-1\s+big memory\nr-2\s+x86\n$/);
});

test('import a single rule object; --json', async () => {
  api = await rulesApi();
  const h = harness({ api });
  expect(await h.run('--json', 'rule', 'import', await file('one.json', RULE_A))).toBe(0);
  expect(JSON.parse(h.stdout.text)).toEqual([{ uuid: 'r-1', ...RULE_A }]);
});

test('import stops at the first rejected rule and says which; exit 1', async () => {
  api = await rulesApi();
  const h = harness({ api });
  const p = await file('bad.json', [RULE_A, { description: 'bad', actions: [{ action: 'explode' }] }, RULE_B]);
  expect(await h.run('rule', 'import', p)).toBe(1);
  expect(api.calls('POST /v1/rules')).toHaveLength(2);
  expect(h.stderr.text).toBe(
    'error: rule 2 of 3 ("bad") was rejected: actions[0]: unknown action "explode" (the 1 before it were imported)\n',
  );
  expect(h.stdout.text).toContain('r-1');
});

test.each([
  ['not JSON', '{ nope', /is not valid JSON/],
  ['not objects', '[1, 2]', /item 1 is not a rule object/],
])('import a file that is %s: exit 2, nothing sent', async (_what, content, message) => {
  api = await rulesApi();
  const h = harness({ api });
  expect(await h.run('rule', 'import', await file('x.json', content))).toBe(2);
  expect(h.stderr.text).toMatch(message);
  expect(api.requests).toHaveLength(0);
});

test('import a missing file: exit 2', async () => {
  const h = harness();
  expect(await h.run('rule', 'import', path.join(dir, 'missing.json'))).toBe(2);
  expect(h.stderr.text).toContain('cannot read');
});

test('list, show, delete, purge', async () => {
  api = await rulesApi();
  const h = harness({ api });
  expect(await h.run('rule', 'list')).toBe(0);
  expect(h.stdout.text).toMatch(/^UUID\s+DESCRIPTION\nr-1\s+big memory\nr-2\s+-\n$/);

  const s = harness({ api });
  expect(await s.run('rule', 'show', 'r-1')).toBe(0);
  expect(JSON.parse(s.stdout.text)).toEqual({ uuid: 'r-1', ...RULE_A });

  const d = harness({ api });
  expect(await d.run('rule', 'delete', 'r-1')).toBe(0);
  expect(await d.run('rule', 'purge')).toBe(0);
  expect(d.stdout.text).toBe('Deleted rule r-1\nDeleted all rules\n');
  expect(api.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual(['/v1/rules/r-1', '/v1/rules']);
});

test('show an unknown rule: the message, exit 1', async () => {
  api = await fakeApi({ 'GET /v1/rules/:uuid': () => inspectorError(404, 'Rule r-9 was not found') });
  const h = harness({ api });
  expect(await h.run('rule', 'show', 'r-9')).toBe(1);
  expect(h.stderr.text).toBe('error: Rule r-9 was not found (HTTP 404)\n');
});

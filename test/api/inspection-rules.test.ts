import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { errorHandler } from '../../api/errors';
import { loadBuiltInRules } from '../../api/inspection-rule-routes';
import { ironicInspectionRoutes } from '../../api/ironic-inspection-routes';
import type { NodeRegistry } from '../../nodes';
import { describeEachDatabase } from '../nodes/databases';

// /v1/inspection_rules on the node API (Ironic's API 1.96) over a real registry, SQLite and
// PostgreSQL (migration 0006): create, list, show, patch, delete; sensitive rules and secrets
// hidden; built-in rules from a file, read-only; the version gate. The inventory and the
// agent's callback need Temporal and S3: test/e2e/ironic-inspection.test.ts.

const V = { 'X-OpenStack-Ironic-API-Version': '1.96' };
const RULE = {
  description: 'big memory',
  priority: 30,
  conditions: [{ op: 'gt', args: [['{inventory[memory][physical_mb]}', 4096]] }],
  actions: [{ op: 'add-trait', args: { name: 'CUSTOM_BIG' } }],
};

describeEachDatabase('inspection rules API', (db) => {
  let registry: NodeRegistry;
  let url: string;
  let close: () => Promise<void>;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inspection-rules-'));

  beforeAll(async () => {
    registry = await db.openRegistry();
    const app = express();
    app.use(ironicInspectionRoutes({ registry, introspections: {} as never, callbacks: {} as never, continueBodyLimit: '1mb' }));
    app.use(errorHandler('ironic'));
    const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  afterAll(() => close?.());

  async function call(method: string, route: string, body?: unknown, headers: Record<string, string> = V) {
    const res = await fetch(`${url}${route}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  }
  const fault = (res: { body: { error_message: string } }) => JSON.parse(res.body.error_message).faultstring as string;

  test('create, show, list (short, detail, fields, pages), patch, delete', async () => {
    const created = await call('POST', '/v1/inspection_rules', RULE);
    expect(created.status).toBe(201);
    const { uuid } = created.body;
    expect(created.headers.get('location')).toBe(`${url}/v1/inspection_rules/${uuid}`);
    expect(created.body).toMatchObject({
      ...RULE,
      // list args are stored by name
      conditions: [{ op: 'gt', args: { values: ['{inventory[memory][physical_mb]}', 4096] } }],
      sensitive: false,
      phase: 'main',
      built_in: false,
      updated_at: null,
      links: [{ href: `${url}/v1/inspection_rules/${uuid}`, rel: 'self' }, expect.objectContaining({ rel: 'bookmark' })],
    });
    expect((await call('GET', `/v1/inspection_rules/${uuid}`)).body).toEqual(created.body);

    const second = (await call('POST', '/v1/inspection_rules', { ...RULE, description: 'second' })).body.uuid;
    const short = (await call('GET', '/v1/inspection_rules')).body.inspection_rules;
    expect(short.map((r: Record<string, unknown>) => r.uuid)).toEqual([uuid, second]);
    expect(Object.keys(short[0]).sort()).toEqual(['description', 'links', 'phase', 'priority', 'uuid']);
    expect((await call('GET', '/v1/inspection_rules?detail=true')).body.inspection_rules[0].actions).toEqual(RULE.actions);
    expect((await call('GET', '/v1/inspection_rules?fields=uuid,sensitive')).body.inspection_rules[1]).toEqual({ uuid: second, sensitive: false, links: expect.any(Array) });
    const page = (await call('GET', '/v1/inspection_rules?limit=1')).body;
    expect(page.inspection_rules.map((r: Record<string, unknown>) => r.uuid)).toEqual([uuid]);
    expect(page.next).toContain(`marker=${uuid}`);
    expect((await call('GET', `/v1/inspection_rules?marker=${uuid}`)).body.inspection_rules.map((r: Record<string, unknown>) => r.uuid)).toEqual([second]);

    const patched = await call('PATCH', `/v1/inspection_rules/${uuid}`, [{ op: 'replace', path: '/priority', value: 70 }, { op: 'add', path: '/actions/-', value: { op: 'log', args: { msg: 'big' } } }]);
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ priority: 70, actions: [RULE.actions[0], { op: 'log', args: { msg: 'big' } }], updated_at: expect.any(String) });
    const invalid = await call('PATCH', `/v1/inspection_rules/${uuid}`, [{ op: 'replace', path: '/priority', value: 10000 }]);
    expect(invalid.status).toBe(400);
    expect(fault(invalid)).toMatch(/^Validation failed for inspection rule: priority: Priority must be between 0 and 9999/);

    expect((await call('DELETE', `/v1/inspection_rules/${uuid}`)).status).toBe(204);
    expect((await call('GET', `/v1/inspection_rules/${uuid}`)).status).toBe(404);
    expect((await call('DELETE', `/v1/inspection_rules/${second}`)).status).toBe(204);
  });

  test('a bad rule is a 400 naming what is wrong', async () => {
    const res = await call('POST', '/v1/inspection_rules', { ...RULE, actions: [{ op: 'set-attribute', args: { path: '/properties/x' } }] });
    expect(res.status).toBe(400);
    expect(fault(res)).toMatch(/actions\.0.*set-attribute: missing required argument\(s\): value/);
    expect((await call('POST', '/v1/inspection_rules', { ...RULE, uuid: 'not-a-uuid' })).status).toBe(400);
  });

  test('sensitive rules hide their conditions and actions and stay sensitive; driver_info secrets are masked', async () => {
    const secret = { op: 'set-attribute', args: { path: '/driver_info/ipmi_password', value: 'Very-Secret-1' } };
    const open = await call('POST', '/v1/inspection_rules', { actions: [secret] });
    expect(open.body.actions).toEqual([{ ...secret, args: { ...secret.args, value: '******' } }]);
    expect(JSON.stringify((await call('GET', '/v1/inspection_rules?detail=true')).body)).not.toContain('Very-Secret-1');

    const hidden = await call('POST', '/v1/inspection_rules', { ...RULE, sensitive: true });
    expect(hidden.body).toMatchObject({ sensitive: true, conditions: null, actions: null });
    expect((await call('GET', `/v1/inspection_rules/${hidden.body.uuid}`)).body).toMatchObject({ conditions: null, actions: null });
    const unset = await call('PATCH', `/v1/inspection_rules/${hidden.body.uuid}`, [{ op: 'replace', path: '/sensitive', value: false }]);
    expect(unset.status).toBe(400);
    expect(fault(unset)).toBe('Inspection rules cannot have the sensitive flag unset.');
    // Still there, whole: processing reads it.
    expect((await registry.inspectionRules.get(hidden.body.uuid)).actions).toEqual(RULE.actions);
    for (const uuid of [open.body.uuid, hidden.body.uuid]) await call('DELETE', `/v1/inspection_rules/${uuid}`);
  });

  test('built-in rules come from the file: listed, read-only, replaced when the file changes', async () => {
    const file = path.join(dir, `${db.kind}-rules.json`);
    fs.writeFileSync(file, JSON.stringify([{ ...RULE, priority: -10 }, { uuid: '9e7bd3c4-2a1f-4c7e-b8f1-2b6a1d8c0e55', actions: [{ op: 'log', args: { msg: 'hello' } }] }]));
    await loadBuiltInRules(registry, file);
    const listed = (await call('GET', '/v1/inspection_rules?fields=uuid,built_in,priority')).body.inspection_rules;
    expect(listed).toEqual(
      expect.arrayContaining([
        { uuid: '00000000-0000-0000-0000-000000000000', built_in: true, priority: -10, links: expect.any(Array) },
        { uuid: '9e7bd3c4-2a1f-4c7e-b8f1-2b6a1d8c0e55', built_in: true, priority: 0, links: expect.any(Array) },
      ]),
    );
    const del = await call('DELETE', '/v1/inspection_rules/00000000-0000-0000-0000-000000000000');
    expect(del.status).toBe(400);
    expect(fault(del)).toMatch(/is built in \(INSPECTION_RULES_FILE\): it cannot be deleted/);
    expect((await call('PATCH', '/v1/inspection_rules/00000000-0000-0000-0000-000000000000', [{ op: 'replace', path: '/priority', value: 1 }])).status).toBe(400);

    fs.writeFileSync(file, JSON.stringify([{ ...RULE, description: 'changed' }]));
    await loadBuiltInRules(registry, file);
    const builtIn = (await registry.inspectionRules.list({ limit: 100 })).filter((r) => r.built_in);
    expect(builtIn.map((r) => [r.uuid, r.description])).toEqual([['00000000-0000-0000-0000-000000000000', 'changed']]);

    fs.writeFileSync(file, JSON.stringify([RULE, { actions: [{ op: 'api-call', args: { url: 'http://x' } }] }]));
    await expect(loadBuiltInRules(registry, file)).rejects.toThrow(`INSPECTION_RULES_FILE ${file}: rule 1: actions.0: api-call: action "api-call" is not supported`);
    await loadBuiltInRules(registry, undefined);
    expect((await registry.inspectionRules.list({ limit: 100 })).filter((r) => r.built_in)).toEqual([]);
  });

  test('below 1.96 the routes do not exist: reads 404, writes 405', async () => {
    const old = { 'X-OpenStack-Ironic-API-Version': '1.95' };
    expect((await call('GET', '/v1/inspection_rules', undefined, old)).status).toBe(404);
    const write = await call('POST', '/v1/inspection_rules', RULE, old);
    expect(write.status).toBe(405);
    expect(fault(write)).toMatch(/^The API version does not allow inspection rules/);
    expect(write.headers.get('x-openstack-ironic-api-version')).toBe('1.95');
    expect((await call('GET', '/v1/inspection_rules', undefined, { 'X-OpenStack-Ironic-API-Version': '1.97' })).status).toBe(406);
  });
});

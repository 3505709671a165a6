import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { SimRack } from '../../sim/rack';
import { enrollSimNode, startStackWithRack, type StackWithRack } from '../support/rack';
import { ADMIN, http, waitFor, type Stack } from '../support/stack';

// Ironic's own inspection endpoints on the node API, with a simulated rack and the real
// clients: `openstack baremetal node inspect` (Debian's python3-ironicclient 5.0.1) starts an
// introspection that applies an inspection rule (API 1.96) beside the hooks;
// `openstack baremetal node inventory save` (python-ironicclient 5.3.0, the first with it, from
// PyPI over Debian's packages: Debian 12's client lacks the command) reads what it stored;
// the agent's callback on the node API (/v1/continue_inspection); a reapply with data in the
// body (inspector API 1.15); and the version rules of both APIs.

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const hasPython = fs.existsSync('/usr/bin/python3');
const describeIfPython = hasPython ? describe : describe.skip;
if (!hasPython) console.warn('skipping the Ironic inspection test: /usr/bin/python3 is missing');

const RULES = { 'X-OpenStack-Ironic-API-Version': '1.96' };

let env: StackWithRack;
let stack: Stack;
let rack: SimRack;
let debianPython: string;
let newerPython: string;
let cacheDir: string;

/** A venv over Debian's packages with python-ironicclient 5.3.0 (no other package from PyPI). */
function ironicClient53(): string {
  const venv = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'introspector', 'ironicclient-5.3-venv');
  const python = path.join(venv, 'bin', 'python');
  const has = () => {
    try {
      return execFileSync(python, ['-c', 'import importlib.metadata as m; print(m.version("python-ironicclient"))'], { encoding: 'utf8' }).trim() === '5.3.0';
    } catch {
      return false;
    }
  };
  if (!has()) {
    execFileSync('/usr/bin/python3', ['-m', 'venv', '--system-site-packages', venv], { timeout: 120000 });
    execFileSync(path.join(venv, 'bin', 'pip'), ['install', '-q', '--disable-pip-version-check', '--no-deps', 'python-ironicclient==5.3.0'], { timeout: 300000 });
  }
  return python;
}

async function openstack(python: string, ...args: string[]): Promise<string> {
  const argv = ['-c', 'import sys; from openstackclient.shell import main; sys.exit(main(sys.argv[1:]))', '--os-endpoint', stack.nodeUrl, ...args];
  const credentials = { OS_AUTH_TYPE: 'http_basic', OS_USERNAME: ADMIN.user, OS_PASSWORD: ADMIN.password };
  try {
    const { stdout } = await run(python, argv, { env: { ...process.env, ...credentials, XDG_CACHE_HOME: path.join(cacheDir, path.basename(path.dirname(path.dirname(python)))) }, timeout: 60000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`openstack ${args.join(' ')} failed: ${e.stderr || e.stdout || e.message}`);
  }
}

const introspectionOf = (uuid: string) => http('GET', `${stack.inspectorUrl}/v1/introspection/${uuid}`);
const untilFinished = (uuid: string, timeoutMs: number) =>
  waitFor(
    `introspection of ${uuid} to finish`,
    async () => {
      const { body } = await introspectionOf(uuid);
      return body.finished && body.state !== 'reapplying' ? body : undefined;
    },
    timeoutMs,
    500,
  );

describeIfPython('Ironic inspection endpoints with the openstack client', () => {
  let uuid: string;

  beforeAll(async () => {
    debianPython = execFileSync('bash', [path.join(ROOT, 'scripts', 'openstack-clients.sh')], { encoding: 'utf8', timeout: 600000 }).trim();
    newerPython = ironicClient53();
    env = await startStackWithRack(19393, { INTROSPECTION_TIMEOUT: '120' }, { count: 1, prefix: 'irin', net: 94 });
    ({ stack, rack } = env);
    cacheDir = path.join(stack.dataDir, 'xdg-cache');
    uuid = await enrollSimNode(stack, rack.nodes[0]!, { port: true });
  }, 900000);

  afterAll(() => env?.stop());

  test('node inspect runs an introspection that applies inspection rules; inventory save reads its data', async () => {
    const node = rack.nodes[0]!;
    const rule = await http(
      'POST',
      `${stack.nodeUrl}/v1/inspection_rules`,
      {
        description: 'vendor and memory',
        priority: 20,
        conditions: [{ op: 'gt', args: { values: ['{inventory[memory][physical_mb]}', 0] } }],
        actions: [
          { op: 'add-trait', args: { name: 'CUSTOM_INSPECTED_BY_RULE' } },
          { op: 'set-attribute', args: { path: '/extra/arch', value: '{inventory[cpu][architecture]}' } },
          { op: 'set-attribute', args: { path: '/extra/vendor', value: '{inventory[system_vendor][manufacturer]}' } },
        ],
      },
      { headers: RULES },
    );
    expect(rule.status).toBe(201);
    const hidden = await http('POST', `${stack.nodeUrl}/v1/inspection_rules`, { sensitive: true, actions: [{ op: 'set-attribute', args: { path: '/driver_info/ipmi_password', value: 'New-Secret-9' } }], conditions: [{ op: 'eq', args: { values: [1, 2] } }] }, { headers: RULES });
    expect(hidden.status).toBe(201);
    expect(hidden.body).toMatchObject({ sensitive: true, conditions: null, actions: null });

    await openstack(debianPython, 'baremetal', 'node', 'manage', node.name);
    await openstack(debianPython, 'baremetal', 'node', 'inspect', node.name);
    await waitFor('the inspection to end', async () => {
      const shown = JSON.parse(await openstack(debianPython, 'baremetal', 'node', 'show', node.name, '-f', 'json'));
      return shown.provision_state === 'manageable' ? shown : undefined;
    }, 120000, 1000);
    expect((await introspectionOf(uuid)).body).toMatchObject({ state: 'finished', error: null });

    const shown = JSON.parse(await openstack(debianPython, 'baremetal', 'node', 'show', node.name, '-f', 'json'));
    const data = (await http('GET', `${stack.inspectorUrl}/v1/introspection/${uuid}/data`)).body;
    expect(shown.extra.arch).toBe(data.inventory.cpu.architecture);
    expect(shown.extra.arch).toMatch(/^(x86_64|aarch64)$/);
    expect(JSON.parse(await openstack(debianPython, 'baremetal', 'node', 'trait', 'list', node.name, '-f', 'json'))).toEqual([{ Traits: 'CUSTOM_INSPECTED_BY_RULE' }]);

    const file = path.join(stack.dataDir, 'inventory.json');
    await openstack(newerPython, 'baremetal', 'node', 'inventory', 'save', node.name, '--file', file);
    const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
    const { inventory, ...pluginData } = data;
    expect(saved).toEqual({ inventory, plugin_data: pluginData });
    expect(saved.inventory.interfaces.map((i: { mac_address: string }) => i.mac_address)).toContain(node.mac);
  }, 300000);

  test('the agent callback on the node API: {uuid} without a version, the lookup answer at 1.84, 404 in between', async () => {
    const raw = (await http('GET', `${stack.inspectorUrl}/v1/introspection/${uuid}/data/unprocessed`)).body;
    const post = (headers: Record<string, string>) => http('POST', `${stack.nodeUrl}/v1/continue_inspection`, raw, { auth: null, headers });

    expect((await post({ 'X-OpenStack-Ironic-API-Version': '1.83' })).status).toBe(404);

    for (const [headers, answer] of [
      [{}, { uuid }],
      [{ 'X-OpenStack-Ironic-API-Version': '1.84' }, { node: expect.objectContaining({ uuid, properties: expect.any(Object) }), config: {} }],
    ] as const) {
      expect((await http('POST', `${stack.inspectorUrl}/v1/introspection/${uuid}?manage_boot=false`)).status).toBe(202);
      await waitFor('the run to wait for its agent', async () => ((await introspectionOf(uuid)).body.state === 'waiting' ? true : undefined), 30000, 300);
      const res = await post(headers);
      expect(res.status).toBe(202);
      expect(res.body).toEqual(answer);
      expect(await untilFinished(uuid, 60000)).toMatchObject({ state: 'finished', error: null });
    }
    expect(rack.powerState(rack.nodes[0]!)).toBe('off');
  }, 180000);

  test('reapply with data in the body: validated, kept as the raw data without the token, processed', async () => {
    const url = `${stack.inspectorUrl}/v1/introspection/${uuid}/data/unprocessed`;
    const raw = (await http('GET', url)).body;
    const bad = await http('POST', url, { ...raw, inventory: { ...raw.inventory, interfaces: 'none' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/inventory\.interfaces/);
    expect((await http('POST', url, [raw])).status).toBe(400);

    const changed = { ...raw, inventory: { ...raw.inventory, system_vendor: { ...raw.inventory.system_vendor, manufacturer: 'Acme Corp' } } };
    const res = await http('POST', url, { ...changed, note: 'sent by tok-do-not-keep', agent_token: 'tok-do-not-keep', logs: Buffer.from('ramdisk log').toString('base64') });
    expect(res.status).toBe(202);
    expect(await untilFinished(uuid, 60000)).toMatchObject({ state: 'finished', error: null });

    expect((await http('GET', url)).body).toEqual({ ...changed, note: 'sent by ******' });
    expect((await http('GET', `${stack.inspectorUrl}/v1/introspection/${uuid}/data`)).body.inventory.system_vendor.manufacturer).toBe('Acme Corp');
    expect((await http('GET', `${stack.nodeUrl}/v1/nodes/${uuid}`)).body.extra.vendor).toBe('Acme Corp');
    const logs = await fetch(`${stack.inspectorUrl}/v1/introspection/${uuid}/logs`, { headers: { authorization: `Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString('base64')}` } });
    expect(Buffer.from(await logs.arrayBuffer()).toString()).toBe('ramdisk log');

    // No body (or {}): the stored data again.
    expect((await http('POST', url)).status).toBe(202);
    expect(await untilFinished(uuid, 60000)).toMatchObject({ state: 'finished', error: null });
    expect((await http('GET', url)).body).toEqual({ ...changed, note: 'sent by ******' });
  }, 180000);

  test('versions: the inspector API refuses one out of range with 406 and its range, reads the standard header', async () => {
    const at = (headers: Record<string, string>) => http('GET', `${stack.inspectorUrl}/v1/introspection`, undefined, { headers });
    const refused = await at({ 'X-OpenStack-Ironic-Inspector-API-Version': '1.19' });
    expect(refused.status).toBe(406);
    expect(refused.body.error.message).toBe('Unsupported API version 1.19, supported range is 1.0 to 1.18');
    expect(refused.headers.get('x-openstack-ironic-inspector-api-minimum-version')).toBe('1.0');
    expect(refused.headers.get('x-openstack-ironic-inspector-api-maximum-version')).toBe('1.18');
    expect((await at({ 'OpenStack-API-Version': 'baremetal-introspection 2.0' })).status).toBe(406);
    expect((await at({ 'X-OpenStack-Ironic-Inspector-API-Version': 'one' })).status).toBe(400);

    const standard = await at({ 'OpenStack-API-Version': 'compute 2.1, baremetal-introspection 1.12' });
    expect(standard.status).toBe(200);
    expect(standard.headers.get('openstack-api-version')).toBe('baremetal-introspection 1.12');
    expect(standard.headers.get('x-openstack-ironic-inspector-api-version')).toBe('1.12');
    expect((await at({ 'X-OpenStack-Ironic-Inspector-API-Version': 'latest' })).headers.get('openstack-api-version')).toBe('baremetal-introspection 1.18');
  });

  test('versions: the node API hides inventory below 1.81 and inspection rules below 1.96 (404 to reads, 405 to writes)', async () => {
    const v = (version: string) => ({ headers: { 'X-OpenStack-Ironic-API-Version': version } });
    expect((await http('GET', `${stack.nodeUrl}/v1/nodes/${uuid}/inventory`, undefined, v('1.80'))).status).toBe(404);
    expect((await http('GET', `${stack.nodeUrl}/v1/nodes/${uuid}/inventory`, undefined, v('1.81'))).status).toBe(200);
    expect((await http('GET', `${stack.nodeUrl}/v1/inspection_rules`, undefined, v('1.95'))).status).toBe(404);
    expect((await http('POST', `${stack.nodeUrl}/v1/inspection_rules`, { actions: [{ op: 'log', args: { msg: 'x' } }] }, v('1.95'))).status).toBe(405);
    const list = await http('GET', `${stack.nodeUrl}/v1/inspection_rules`, undefined, v('1.96'));
    expect(list.body.inspection_rules.map((r: Record<string, unknown>) => Object.keys(r).sort())).toEqual([
      ['description', 'links', 'phase', 'priority', 'uuid'],
      ['description', 'links', 'phase', 'priority', 'uuid'],
    ]);
  });
});

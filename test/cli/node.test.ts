// `node ...` against a local server that plays the node API (Ironic-shaped).

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type FakeApi, fakeApi, harness, ironicError } from './helpers';

const UUID = '1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b';

const nodeBody = (extra: Record<string, unknown> = {}) => ({
  uuid: UUID,
  name: 'rack1-u07',
  driver: 'ipmi',
  driver_info: { ipmi_address: '10.1.0.7', ipmi_port: 623, ipmi_username: 'admin', ipmi_password: '******' },
  properties: { cpus: 16, memory_mb: 65536, local_gb: 446, cpu_arch: 'x86_64' },
  extra: {},
  traits: [],
  resource_class: 'baremetal',
  power_state: 'power off',
  provision_state: 'enroll',
  target_provision_state: null,
  last_error: null,
  maintenance: false,
  created_at: '2025-03-01T10:00:00.000Z',
  updated_at: null,
  links: [{ href: `http://x/v1/nodes/${UUID}`, rel: 'self' }],
  ports: [{ href: `http://x/v1/nodes/${UUID}/ports`, rel: 'self' }],
  ...extra,
});

let api: FakeApi | undefined;
let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-node-'));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const creating = () =>
  fakeApi({
    'POST /v1/nodes': () => ({ status: 201, body: nodeBody() }),
    'POST /v1/ports': (req) => ({ status: 201, body: { uuid: 'p-1', ...(req.body as object) } }),
  });

const createArgs = ['node', 'create', '--name', 'rack1-u07', '--driver', 'ipmi', '--ipmi-address', '10.1.0.7'];

describe('node create', () => {
  test('password from an environment variable; ports for each MAC; properties typed', async () => {
    api = await creating();
    const h = harness({ nodeApi: api, env: { BMC_PW: 's3cret-pw' } });
    const code = await h.run(
      ...createArgs,
      '--ipmi-port', '6230',
      '--ipmi-username', 'admin',
      '--ipmi-password-env', 'BMC_PW',
      '--mac', '52:54:00:12:34:56',
      '--mac', '52-54-00-AB-CD-EF',
      '--property', 'cpus=16',
      '--property', 'cpu_arch=x86_64',
      '--property', 'capabilities=boot_mode:uefi',
      '--extra', 'rack=r1',
      '--resource-class', 'baremetal',
    );
    expect(code).toBe(0);
    expect(api.calls('POST /v1/nodes')[0].body).toEqual({
      name: 'rack1-u07',
      driver: 'ipmi',
      driver_info: { ipmi_address: '10.1.0.7', ipmi_port: 6230, ipmi_username: 'admin', ipmi_password: 's3cret-pw' },
      properties: { cpus: 16, cpu_arch: 'x86_64', capabilities: 'boot_mode:uefi' },
      extra: { rack: 'r1' },
      resource_class: 'baremetal',
    });
    expect(api.calls('POST /v1/ports').map((r) => r.body)).toEqual([
      { node_uuid: UUID, address: '52:54:00:12:34:56' },
      { node_uuid: UUID, address: '52:54:00:ab:cd:ef' },
    ]);
    expect(h.stdout.text).toContain(`Created node rack1-u07 (${UUID})`);
    expect(h.stdout.text).toMatch(/ports:\s+52:54:00:12:34:56, 52:54:00:ab:cd:ef/);
    expect(h.stdout.text + h.stderr.text).not.toContain('s3cret-pw');
  });

  test('password from a file (one line, the newline dropped); minimal body', async () => {
    api = await creating();
    const file = path.join(dir, 'pw');
    await fs.writeFile(file, 'from-file\n');
    const h = harness({ nodeApi: api });
    expect(await h.run(...createArgs, '--ipmi-password-file', file, '--json')).toBe(0);
    expect(api.calls('POST /v1/nodes')[0].body).toEqual({
      name: 'rack1-u07',
      driver: 'ipmi',
      driver_info: { ipmi_address: '10.1.0.7', ipmi_password: 'from-file' },
      properties: {},
      extra: {},
    });
    const out = JSON.parse(h.stdout.text);
    expect(out.node.uuid).toBe(UUID);
    expect(out.ports).toEqual([]);
  });

  test('a password as a plain flag is refused and not echoed', async () => {
    api = await creating();
    const h = harness({ nodeApi: api });
    expect(await h.run(...createArgs, '--ipmi-password', 'hunter2')).toBe(2);
    expect(await h.run(...createArgs, '--ipmi-password=hunter2')).toBe(2);
    expect(h.stderr.text).toContain('--ipmi-password is not accepted');
    expect(h.stderr.text).toContain('--ipmi-password-env');
    expect(h.stderr.text).not.toContain('hunter2');
    expect(api.requests).toHaveLength(0);
  });

  test.each([
    [['--ipmi-password-env', 'NOPE'], '--ipmi-password-env: the environment variable NOPE is not set'],
    [['--ipmi-password-file', '/nonexistent/pw'], '--ipmi-password-file: cannot read /nonexistent/pw'],
    [['--ipmi-password-env', 'X', '--ipmi-password-file', 'f'], "option '--ipmi-password-env <var>' cannot be used with option '--ipmi-password-file <file>'"],
    [['--mac', 'not-a-mac'], "option '--mac <mac>' argument 'not-a-mac' is invalid"],
    [['--ipmi-port', '70000'], "option '--ipmi-port <port>' argument '70000' is invalid"],
    [['--property', 'novalue'], "option '--property <key=value>' argument 'novalue' is invalid"],
    [['--driver', 'redfish'], "option '--driver <driver>' argument 'redfish' is invalid"],
  ])('bad input %j: exit 2, nothing sent', async (args, message) => {
    api = await creating();
    const h = harness({ nodeApi: api, env: { X: 'x' } });
    expect(await h.run(...createArgs, ...args)).toBe(2);
    expect(h.stderr.text).toContain(message);
    expect(api.requests).toHaveLength(0);
  });

  test('missing required flags', async () => {
    const h = harness({ env: {} });
    expect(await h.run('node', 'create', '--name', 'x')).toBe(2);
    expect(h.stderr.text).toContain("required option '--ipmi-address <address>' not specified");
  });

  test("the node API's error (Ironic shape) is printed; exit 1", async () => {
    api = await fakeApi({ 'POST /v1/nodes': () => ironicError(409, 'A node with name rack1-u07 already exists.') });
    const h = harness({ nodeApi: api });
    expect(await h.run(...createArgs)).toBe(1);
    expect(h.stderr.text).toBe('error: A node with name rack1-u07 already exists. (HTTP 409)\n');
    expect(h.stdout.text).toBe('');
  });

  test('a port that fails: the node stays created, the failure is reported, exit 1', async () => {
    api = await fakeApi({
      'POST /v1/nodes': () => ({ status: 201, body: nodeBody() }),
      'POST /v1/ports': (_req, n) =>
        n === 0 ? ironicError(409, 'A port with MAC address 52:54:00:12:34:56 already exists.') : { status: 201, body: { address: '52:54:00:00:00:02' } },
    });
    const h = harness({ nodeApi: api });
    expect(await h.run(...createArgs, '--mac', '52:54:00:12:34:56', '--mac', '52:54:00:00:00:02')).toBe(1);
    expect(api.calls('POST /v1/ports')).toHaveLength(2);
    expect(h.stderr.text).toContain('error: port 52:54:00:12:34:56: A port with MAC address 52:54:00:12:34:56 already exists.');
    expect(h.stderr.text).toContain(`node ${UUID} was created but 1 of its ports were not`);
  });
});

describe('node list / show', () => {
  test('list: filters in the query, the table with properties', async () => {
    api = await fakeApi({
      'GET /v1/nodes': () => ({ body: { nodes: [nodeBody(), nodeBody({ uuid: 'u2', name: null, properties: {}, power_state: null })] } }),
    });
    const h = harness({ nodeApi: api });
    expect(await h.run('node', 'list', '--provision-state', 'manageable', '--resource-class', 'baremetal', '--limit', '10')).toBe(0);
    expect(api.requests[0].query).toEqual({ detail: 'true', provision_state: 'manageable', resource_class: 'baremetal', limit: '10' });
    const lines = h.stdout.text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^UUID\s+NAME\s+PROVISION STATE\s+POWER\s+CPUS\s+MEMORY_MB\s+LOCAL_GB$/);
    expect(lines[1]).toMatch(new RegExp(`^${UUID}\\s+rack1-u07\\s+enroll\\s+power off\\s+16\\s+65536\\s+446$`));
    expect(lines[2]).toMatch(/^u2\s+-\s+enroll\s+-\s+-\s+-\s+-$/);
  });

  test('list --limit must be a positive whole number', async () => {
    const h = harness();
    expect(await h.run('node', 'list', '--limit', '0')).toBe(2);
    expect(h.stderr.text).toContain("option '--limit <n>' argument '0' is invalid");
  });

  test('--json prints what the API sent, wherever the flag is', async () => {
    api = await fakeApi({ 'GET /v1/nodes': () => ({ body: { nodes: [nodeBody()] } }) });
    const h = harness({ nodeApi: api });
    expect(await h.run('node', 'list', '--json')).toBe(0);
    expect(JSON.parse(h.stdout.text).nodes[0].uuid).toBe(UUID);
  });

  test('show by name (path-encoded): fields, secrets as the server masks them, no links', async () => {
    api = await fakeApi({ 'GET /v1/nodes/:node': () => ({ body: nodeBody() }) });
    const h = harness({ nodeApi: api });
    expect(await h.run('node', 'show', 'rack 1/u07')).toBe(0);
    expect(api.requests[0].path).toBe('/v1/nodes/rack 1/u07');
    const out = h.stdout.text;
    expect(out).toMatch(/^uuid:\s+1b4e28ba/);
    expect(out).toMatch(/driver_info:\s+\{"ipmi_address":"10.1.0.7","ipmi_port":623,"ipmi_username":"admin","ipmi_password":"\*\*\*\*\*\*"\}/);
    expect(out).not.toContain('links');
  });

  test('show: not found (Ironic shape)', async () => {
    api = await fakeApi({ 'GET /v1/nodes/:node': () => ironicError(404, 'Node nope could not be found.') });
    const h = harness({ nodeApi: api });
    expect(await h.run('node', 'show', 'nope')).toBe(1);
    expect(h.stderr.text).toBe('error: Node nope could not be found. (HTTP 404)\n');
  });
});

describe('node manage / provide', () => {
  test('manage: PUT the target, poll until the transition ends, print the state', async () => {
    api = await fakeApi({
      'PUT /v1/nodes/:node/states/provision': () => ({ status: 202 }),
      'GET /v1/nodes/:node': (_req, n) => ({
        body:
          n < 2
            ? nodeBody({ provision_state: 'verifying', target_provision_state: 'manageable' })
            : nodeBody({ provision_state: 'manageable', target_provision_state: null }),
      }),
    });
    const h = harness({ nodeApi: api });
    expect(await h.run('node', 'manage', 'rack1-u07')).toBe(0);
    expect(api.calls('PUT /v1/nodes/rack1-u07/states/provision')[0].body).toEqual({ target: 'manage' });
    expect(api.calls('GET /v1/nodes/rack1-u07')).toHaveLength(3);
    expect(h.sleeps).toEqual([1000, 1000]);
    expect(h.stdout.text).toBe('Node rack1-u07: provision state manageable\n');
  });

  test('provide with a last_error: the error, exit 1', async () => {
    api = await fakeApi({
      'PUT /v1/nodes/:node/states/provision': () => ({ status: 202 }),
      'GET /v1/nodes/:node': () => ({
        body: nodeBody({ provision_state: 'manageable', last_error: 'cleaning failed: BMC 10.1.0.7 did not answer' }),
      }),
    });
    const h = harness({ nodeApi: api });
    expect(await h.run('node', 'provide', UUID)).toBe(1);
    expect(api.calls(`PUT /v1/nodes/${UUID}/states/provision`)[0].body).toEqual({ target: 'provide' });
    expect(h.stdout.text).toContain('provision state manageable');
    expect(h.stderr.text).toContain('last error: cleaning failed: BMC 10.1.0.7 did not answer');
  });

  test('a transition that does not end in 60 s: exit 1 with the state it is stuck in', async () => {
    api = await fakeApi({
      'PUT /v1/nodes/:node/states/provision': () => ({ status: 202 }),
      'GET /v1/nodes/:node': () => ({ body: nodeBody({ provision_state: 'verifying', target_provision_state: 'manageable' }) }),
    });
    const h = harness({ nodeApi: api });
    expect(await h.run('node', 'manage', 'rack1-u07')).toBe(1);
    expect(h.sleeps.length).toBe(60);
    expect(h.stderr.text).toContain('node rack1-u07 is still in "verifying" going to "manageable" after 1m00s');
  });

  test('the refusal of the transition (Ironic shape): exit 1, no polling', async () => {
    api = await fakeApi({
      'PUT /v1/nodes/:node/states/provision': () =>
        ironicError(400, 'The requested action "provide" can not be performed on node rack1-u07 while it is in state "enroll".'),
    });
    const h = harness({ nodeApi: api });
    expect(await h.run('node', 'provide', 'rack1-u07')).toBe(1);
    expect(h.stderr.text).toContain('can not be performed on node rack1-u07 while it is in state "enroll". (HTTP 400)');
    expect(api.requests).toHaveLength(1);
  });

  test('--json prints the node at the end', async () => {
    api = await fakeApi({
      'PUT /v1/nodes/:node/states/provision': () => ({ status: 202 }),
      'GET /v1/nodes/:node': () => ({ body: nodeBody({ provision_state: 'manageable' }) }),
    });
    const h = harness({ nodeApi: api });
    expect(await h.run('--json', 'node', 'manage', 'rack1-u07')).toBe(0);
    expect(JSON.parse(h.stdout.text).provision_state).toBe('manageable');
  });
});

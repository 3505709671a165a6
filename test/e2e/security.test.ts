import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { bcryptEntry } from '../../api/auth/htpasswd';
import { htpasswdFile } from '../../common/config';
import { parseKernelCmdline } from '../../agent/settings';
import { parseBootScript } from '../../sim/ipxe';
import { historyTexts } from '../support/histories';
import { ADMIN, http as call, startStack, waitFor, type Stack } from '../support/stack';
import { basicAuthorization } from '../../cli/credentials';

// The security suite, black-box against the running stack: one case (or a few) per point of
// "safe on a real provisioning network". Nodes use the fake BMC driver, so each introspection
// waits for an agent that this test plays, with or without the run's token.

const READER = { user: 'auditor', password: 'reader-password-1' };
const template = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'hooks', 'ipa-payload.json'), 'utf8'));

let stack: Stack;
let callbackUrl: string;

beforeAll(async () => {
  stack = await startStack(17833, { CALLBACK_PORT: '0', CALLBACK_TOKEN_REQUIRED: 'true', INTROSPECTION_TIMEOUT: '600' });
  callbackUrl = `http://127.0.0.1:${stack.api.callbackPort}`;
  fs.appendFileSync(htpasswdFile(stack.config), `${bcryptEntry(READER.user, READER.password)}\n`);
}, 180000);

afterAll(() => stack?.stop());

let macCounter = 0;
const nextMac = () => `52:54:00:5e:00:${(++macCounter).toString(16).padStart(2, '0')}`;

/** A fake-driver node with one port, started and waiting for its agent. */
async function waitingNode(): Promise<{ uuid: string; mac: string }> {
  const mac = nextMac();
  const node = await call('POST', `${stack.nodeUrl}/v1/nodes`, { driver: 'fake' });
  expect(node.status).toBe(201);
  expect((await call('POST', `${stack.nodeUrl}/v1/ports`, { node_uuid: node.body.uuid, address: mac })).status).toBe(201);
  expect((await call('POST', `${stack.inspectorUrl}/v1/introspection/${node.body.uuid}`)).status).toBe(202);
  await waitFor('the introspection to wait', async () => ((await status(node.body.uuid)).state === 'waiting' ? true : undefined), 30000);
  return { uuid: node.body.uuid, mac };
}

const status = async (uuid: string) => (await call('GET', `${stack.inspectorUrl}/v1/introspection/${uuid}`)).body;

/** Every token handed out, to look for in Temporal's histories at the end. */
const tokens = new Set<string>();

/** What the node's firmware is told: the run's token from the kernel command line of its boot script. */
async function tokenOf(mac: string): Promise<string | undefined> {
  const res = await fetch(`${callbackUrl}/boot/${mac.replace(/:/g, '-')}.ipxe`);
  expect(res.status).toBe(200);
  const script = parseBootScript(await res.text());
  const token = script.boot === 'ramdisk' ? parseKernelCmdline(script.cmdline)['ipa-agent-token'] : undefined;
  if (token) tokens.add(token);
  return token;
}

function payload(mac: string, marker = 'first') {
  const data = structuredClone(template);
  data.inventory.interfaces = [{ ...template.inventory.interfaces[0], name: 'eth0', mac_address: mac }];
  data.inventory.bmc_address = null;
  data.inventory.hostname = marker;
  data.boot_interface = mac;
  return data;
}

const post = (body: unknown, token?: string) =>
  call('POST', `${callbackUrl}/v1/continue`, body, { auth: null, headers: token ? { 'X-Agent-Token': token } : {} });

describe('1. authentication', () => {
  test('without credentials only the version documents answer; everything else is 401 with WWW-Authenticate', async () => {
    for (const url of [stack.inspectorUrl, stack.nodeUrl]) {
      for (const doc of ['/', '/v1']) expect((await call('GET', `${url}${doc}`, undefined, { auth: null })).status).toBe(200);
    }
    const closed: [string, string, unknown?][] = [
      ['GET', `${stack.nodeUrl}/v1/nodes`],
      ['POST', `${stack.nodeUrl}/v1/nodes`, { driver: 'fake' }],
      ['GET', `${stack.inspectorUrl}/v1/introspection`],
      ['POST', `${stack.inspectorUrl}/v1/introspection`, { all_manageable: true, concurrency: 1000 }],
      ['DELETE', `${stack.inspectorUrl}/v1/rules`],
      ['POST', `${stack.inspectorUrl}/v1/rules`, { conditions: [], actions: [{ action: 'fail', message: 'x' }] }],
    ];
    for (const [method, url, body] of closed) {
      for (const auth of [null, { user: 'admin', password: 'wrong' }, { user: 'nobody', password: 'x' }]) {
        const res = await call(method, url, body, { auth });
        expect([method, url, res.status]).toEqual([method, url, 401]);
        expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
      }
    }
    expect((await call('GET', `${stack.nodeUrl}/v1/nodes`)).body.nodes).toEqual(expect.any(Array));
  });

  test('a reader reads and changes nothing; the ramdisk logs are for admins only', async () => {
    const asReader = { auth: READER };
    expect((await call('GET', `${stack.nodeUrl}/v1/nodes`, undefined, asReader)).status).toBe(200);
    expect((await call('GET', `${stack.inspectorUrl}/v1/rules`, undefined, asReader)).status).toBe(200);
    const node = await call('POST', `${stack.nodeUrl}/v1/nodes`, { driver: 'fake', name: 'read-only' }, asReader);
    expect(node.status).toBe(403);
    expect(node.body.error_message).toContain('reader');
    expect((await call('DELETE', `${stack.inspectorUrl}/v1/rules`, undefined, asReader)).status).toBe(403);
    expect((await call('POST', `${stack.inspectorUrl}/v1/introspection`, { all_manageable: true }, asReader)).status).toBe(403);
    expect((await call('GET', `${stack.nodeUrl}/v1/nodes/read-only`)).status).toBe(404);
  });

  test('state changes are not accepted from a browser: Origin or a form body is refused, nothing changes', async () => {
    const fromPage = await call('POST', `${stack.nodeUrl}/v1/nodes`, { driver: 'fake', name: 'csrf-1' }, { headers: { Origin: 'http://evil.example' } });
    expect(fromPage.status).toBe(403);
    const crossSite = await call('DELETE', `${stack.inspectorUrl}/v1/rules`, undefined, { headers: { 'Sec-Fetch-Site': 'cross-site' } });
    expect(crossSite.status).toBe(403);
    const form = await call('POST', `${stack.nodeUrl}/v1/nodes`, 'driver=fake&name=csrf-2', { headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    for (const name of ['csrf-1', 'csrf-2']) expect((await call('GET', `${stack.nodeUrl}/v1/nodes/${name}`)).status).toBe(404);
  });

  test('the callback listener serves the agent and nothing else; the inspector API does not serve the callback anonymously', async () => {
    expect((await call('GET', `${callbackUrl}/v1/nodes`)).status).toBe(404);
    expect((await call('GET', `${callbackUrl}/v1/introspection`)).status).toBe(404);
    expect((await call('POST', `${stack.inspectorUrl}/v1/continue`, payload(nextMac()), { auth: null })).status).toBe(401);
  });
});

describe('3. the callback is bound to its run', () => {
  test('a post without the token, or with a wrong one, is refused and names no node; the run keeps waiting', async () => {
    const node = await waitingNode();
    for (const res of [await post(payload(node.mac)), await post(payload(node.mac), 'not-the-token'), await post({ error: 'x', boot_interface: node.mac })]) {
      expect(res.status).toBe(403);
      expect(JSON.stringify(res.body)).not.toContain(node.uuid);
    }
    expect((await status(node.uuid)).state).toBe('waiting');
  });

  test("a token with another node's MAC is refused; a MAC of a node that is not waiting finds nothing", async () => {
    const a = await waitingNode();
    const b = await waitingNode();
    const crossed = await post(payload(b.mac), await tokenOf(a.mac));
    expect(crossed.status).toBe(409);
    expect(JSON.stringify(crossed.body)).not.toContain(b.uuid);
    // a known node that is not being introspected boots from its disk: its script carries no token
    const idle = await call('POST', `${stack.nodeUrl}/v1/nodes`, { driver: 'fake' });
    const idleMac = nextMac();
    await call('POST', `${stack.nodeUrl}/v1/ports`, { node_uuid: idle.body.uuid, address: idleMac });
    const script = parseBootScript(await (await fetch(`${callbackUrl}/boot/${idleMac}.ipxe`)).text());
    expect(script.boot).toBe('local-disk');
    for (const node of [a, b]) expect((await status(node.uuid)).state).toBe('waiting');
  });

  test('10,000 fuzzed bodies are all 4xx, the run still waits, then exactly one post is accepted and later ones change nothing', async () => {
    const node = await waitingNode();
    const token = await tokenOf(node.mac);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 10000; i += 50) {
      const batch = Array.from({ length: 50 }, (_, j) => fuzzed(i + j, node.mac, token!));
      for (const res of await Promise.all(batch.map(([body, t]) => post(body, t)))) statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
    expect([...statuses.keys()].every((s) => s >= 400 && s < 500)).toBe(true);
    expect((await status(node.uuid)).state).toBe('waiting');
    const broken = payload(node.mac);
    broken.inventory.cpu.count = 'four';
    const named = await post(broken, token);
    expect(named.status).toBe(400);
    expect(named.body.error.message).toMatch(/inventory\.cpu\.count/);

    const accepted = await post(payload(node.mac, 'accepted'), token);
    expect(accepted.status).toBe(200);
    expect(accepted.body.uuid).toBe(node.uuid);
    const late = await post(payload(node.mac, 'late'), token);
    expect([403, 409]).toContain(late.status);
    await waitFor('the run to finish', async () => ((await status(node.uuid)).finished ? true : undefined), 60000);
    expect((await status(node.uuid)).state).toBe('finished');
    const raw = await call('GET', `${stack.inspectorUrl}/v1/introspection/${node.uuid}/data/unprocessed`);
    expect(raw.body.inventory.hostname).toBe('accepted');
    expect(JSON.stringify(raw.body)).not.toContain(token);
    // reapply processes the accepted data, never a rejected post
    expect((await call('POST', `${stack.inspectorUrl}/v1/introspection/${node.uuid}/data/unprocessed`)).status).toBe(202);
    await waitFor('reapply to finish', async () => ((await status(node.uuid)).finished ? true : undefined), 60000);
    expect((await call('GET', `${stack.inspectorUrl}/v1/introspection/${node.uuid}/data/unprocessed`)).body.inventory.hostname).toBe('accepted');
  });

  test('a ramdisk error fails only the run whose token it carries', async () => {
    const a = await waitingNode();
    const b = await waitingNode();
    const res = await post({ error: 'no disks found', boot_interface: a.mac }, await tokenOf(a.mac));
    expect(res.status).toBe(200);
    await waitFor('the failed run to end', async () => ((await status(a.uuid)).finished ? true : undefined), 60000);
    expect((await status(a.uuid)).error).toContain('no disks found');
    expect((await status(b.uuid)).state).toBe('waiting');
  });
});

/** One hostile body: broken shapes, wrong types, huge or deep values, forbidden keys, stolen identities. */
function fuzzed(i: number, mac: string, token: string): [unknown, string | undefined] {
  const pick = <T>(xs: T[]) => xs[i % xs.length];
  const deep = (n: number): unknown => (n === 0 ? 'x' : { a: deep(n - 1) });
  const bodies: unknown[] = [
    {},
    [],
    'x',
    { inventory: null },
    { inventory: { interfaces: 'eth0' } },
    { inventory: { cpu: { count: -1, architecture: 7 }, memory: {}, interfaces: [] }, boot_interface: mac },
    { error: '', boot_interface: mac },
    { error: 'x'.repeat(5000), boot_interface: mac },
    { inventory: { interfaces: Array.from({ length: 2000 }, () => ({ name: 'e', mac_address: mac })) } },
    { __proto__: { polluted: true }, inventory: {} },
    JSON.parse('{"constructor": {"prototype": {"polluted": true}}}'),
    { inventory: deep(40) },
    { inventory: { ...payload(mac).inventory, disks: [{ name: 'sda', size: 'big' }] }, boot_interface: mac },
    { inventory: { ...payload(mac).inventory, interfaces: [{ name: 'x'.repeat(300), mac_address: mac }] } },
    { agent_token: 'x'.repeat(65), inventory: {} },
  ];
  const body = pick(bodies);
  // bodies with the real token must still be refused for their shape; the others also for their token
  return [body, i % 3 === 0 ? token : i % 3 === 1 ? 'x'.repeat(43) : undefined];
}

describe('4. hostile input harms nothing', () => {
  test('a JSON pointer of 40 slashes and a tilde is answered in milliseconds while other requests keep answering', async () => {
    const node = await call('POST', `${stack.nodeUrl}/v1/nodes`, { driver: 'fake' });
    const evil = call('PATCH', `${stack.nodeUrl}/v1/nodes/${node.body.uuid}`, [{ op: 'add', path: `${'/'.repeat(40)}~`, value: 1 }]);
    const other = call('GET', `${stack.nodeUrl}/v1/nodes`);
    const [patched, listed] = await Promise.all([evil, other]);
    expect(patched.status).toBe(400);
    expect(listed.status).toBe(200);
  });

  test('__proto__, constructor and prototype are refused in bodies and patch paths, naming the field', async () => {
    const created = await call('POST', `${stack.nodeUrl}/v1/nodes`, '{"driver":"fake","extra":{"__proto__":{"admin":true}}}');
    expect(created.status).toBe(400);
    expect(created.body.error_message).toContain('extra.__proto__');
    const node = await call('POST', `${stack.nodeUrl}/v1/nodes`, { driver: 'fake' });
    for (const p of ['/extra/__proto__/x', '/extra/constructor', '/properties/a/prototype']) {
      const res = await call('PATCH', `${stack.nodeUrl}/v1/nodes/${node.body.uuid}`, [{ op: 'add', path: p, value: 1 }]);
      expect([p, res.status]).toEqual([p, 400]);
    }
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  test('deep nesting and oversize bodies are 4xx, never a 500', async () => {
    const deep = `${'['.repeat(100000)}${']'.repeat(100000)}`;
    expect((await call('POST', `${stack.nodeUrl}/v1/nodes`, deep)).status).toBe(400);
    const deepObject = `{"driver":"fake","extra":${'{"a":'.repeat(50)}1${'}'.repeat(50)}}`;
    const nested = await call('POST', `${stack.nodeUrl}/v1/nodes`, deepObject);
    expect(nested.status).toBe(400);
    expect(nested.body.error_message).toContain('nested deeper');
    const huge = await post({ inventory: {}, logs: 'x'.repeat(11 * 1024 * 1024) });
    expect(huge.status).toBe(413);
  });

  test('rules: backtracking-prone regexes run in linear time, unsupported ones and secret paths are refused', async () => {
    const bad: unknown[] = [
      { conditions: [{ op: 'matches', field: 'inventory.hostname', value: '(a)\\1' }], actions: [{ action: 'fail', message: 'x' }] },
      { conditions: [{ op: 'eq', field: 'node://driver_info.ipmi_password', value: 'x' }], actions: [{ action: 'fail', message: 'x' }] },
      { conditions: [], actions: [{ action: 'set-attribute', path: '/driver_info/ipmi_address', value: '10.0.0.1' }] },
      { conditions: [], actions: [{ action: 'set-attribute', path: '/extra/leak', value: '{node[driver_info][ipmi_password]}' }] },
    ];
    for (const rule of bad) {
      const res = await call('POST', `${stack.inspectorUrl}/v1/rules`, rule);
      expect([JSON.stringify(rule), res.status]).toEqual([JSON.stringify(rule), 400]);
    }
    const slow = { description: 'catastrophic for a backtracking engine', conditions: [{ op: 'matches', field: 'inventory.hostname', value: '(a+)+$' }], actions: [{ action: 'set-attribute', path: '/extra/matched', value: true }] };
    const created = await call('POST', `${stack.inspectorUrl}/v1/rules`, slow);
    expect(created.status).toBe(201);
    const node = await waitingNode();
    const data = payload(node.mac);
    data.inventory.hostname = `${'a'.repeat(60)}!`;
    expect((await post(data, await tokenOf(node.mac))).status).toBe(200);
    await waitFor('processing', async () => ((await status(node.uuid)).finished ? true : undefined), 60000);
    expect((await status(node.uuid)).state).toBe('finished');
    expect((await call('GET', `${stack.nodeUrl}/v1/nodes/${node.uuid}`)).body.extra.matched).toBeUndefined();
    expect((await call('DELETE', `${stack.inspectorUrl}/v1/rules/${created.body.uuid}`)).status).toBe(204);
  });

  test('a bulk request may name any number of nodes (they go to the registry, not into a Temporal payload), each checked; its body is bounded', async () => {
    const many = await call('POST', `${stack.inspectorUrl}/v1/introspection`, { nodes: Array.from({ length: 20000 }, (_, i) => `n${i}`) });
    expect(many.status).toBe(202);
    const bad = await call('POST', `${stack.inspectorUrl}/v1/introspection`, { nodes: ['n1', 'x'.repeat(256)] });
    expect([bad.status, bad.body.error.message]).toEqual([400, expect.stringMatching(/^nodes\.1:/)]);
    const huge = await call('POST', `${stack.inspectorUrl}/v1/introspection`, { nodes: Array.from({ length: 70000 }, (_, i) => `${'n'.repeat(250)}${i}`) });
    expect(huge.status).toBe(413);
  });
});

describe('5. BMC credentials cannot be redirected', () => {
  /** A plain HTTP server on a free port that records what reaches it. */
  async function recorder(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
    const seen: http.IncomingHttpHeaders[] = [];
    const server = http.createServer((req, res) => {
      seen.push(req.headers);
      answer(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { seen, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => new Promise((r) => server.close(r)) };
  }

  test('a BMC that redirects gets the credentials, the place it redirects to gets nothing; manage fails with a clear error', async () => {
    const thief = await recorder((_req, res) => res.end('{}'));
    const bmc = await recorder((_req, res) => res.writeHead(307, { location: `${thief.url}/redfish/v1/Systems/1` }).end());
    try {
      const node = await call('POST', `${stack.nodeUrl}/v1/nodes`, {
        driver: 'redfish',
        driver_info: { redfish_address: bmc.url, redfish_system_id: '1', redfish_username: 'root', redfish_password: 'calvin-secret' },
      });
      expect(node.status).toBe(201);
      expect((await call('PUT', `${stack.nodeUrl}/v1/nodes/${node.body.uuid}/states/provision`, { target: 'manage' })).status).toBe(202);
      const after = await waitFor(
        'the BMC check',
        async () => {
          const n = (await call('GET', `${stack.nodeUrl}/v1/nodes/${node.body.uuid}`)).body;
          return n.provision_state === 'verifying' ? undefined : n;
        },
        60000,
      );
      expect(after.provision_state).toBe('enroll');
      expect(after.last_error).toMatch(/redirect/i);
      expect(after.last_error).not.toContain('calvin-secret');
      expect(bmc.seen.length).toBeGreaterThan(0);
      expect(thief.seen).toEqual([]);
    } finally {
      await Promise.all([thief.close(), bmc.close()]);
    }
  });

  test('changing the BMC address clears the stored password; a system id that names another host is refused', async () => {
    const node = await call('POST', `${stack.nodeUrl}/v1/nodes`, {
      driver: 'ipmi',
      driver_info: { ipmi_address: '192.0.2.7', ipmi_username: 'admin', ipmi_password: 'kept-secret' },
    });
    expect(node.body.driver_info.ipmi_password).toBe('******');
    const keepMasked = await call('PATCH', `${stack.nodeUrl}/v1/nodes/${node.body.uuid}`, [
      { op: 'replace', path: '/driver_info/ipmi_address', value: '203.0.113.9' },
      { op: 'replace', path: '/driver_info/ipmi_password', value: '******' },
    ]);
    expect(keepMasked.status).toBe(400);
    expect(keepMasked.body.error_message).toContain('driver_info.ipmi_password');
    const moved = await call('PATCH', `${stack.nodeUrl}/v1/nodes/${node.body.uuid}`, [{ op: 'replace', path: '/driver_info/ipmi_address', value: '203.0.113.9' }]);
    expect(moved.status).toBe(200);
    expect(moved.body.driver_info.ipmi_password).not.toBe('******');
    const redfish = await call('POST', `${stack.nodeUrl}/v1/nodes`, {
      driver: 'redfish',
      driver_info: { redfish_address: 'https://192.0.2.8', redfish_system_id: '//evil.example/x', redfish_password: 'p' },
    });
    expect(redfish.status).toBe(400);
    expect(redfish.body.error_message).toContain('driver_info.redfish_system_id');
  });
});

describe('6. logs are not data', () => {
  test("the agent's logs are kept apart from the stored data, for admins only", async () => {
    const node = await waitingNode();
    const token = await tokenOf(node.mac);
    const archive = gzipSync(Buffer.from('journal line\n'));
    expect((await post({ ...payload(node.mac), logs: archive.toString('base64') }, token)).status).toBe(200);
    await waitFor('processing', async () => ((await status(node.uuid)).finished ? true : undefined), 60000);
    for (const kind of ['data', 'data/unprocessed']) {
      const stored = await call('GET', `${stack.inspectorUrl}/v1/introspection/${node.uuid}/${kind}`);
      expect(stored.status).toBe(200);
      expect(stored.body.logs).toBeUndefined();
    }
    const logs = await fetch(`${stack.inspectorUrl}/v1/introspection/${node.uuid}/logs`, { headers: { authorization: basicAuthorization({ username: ADMIN.user, password: ADMIN.password }) } });
    expect(logs.status).toBe(200);
    expect(gunzipSync(Buffer.from(await logs.arrayBuffer())).toString()).toContain('journal line');
    expect((await call('GET', `${stack.inspectorUrl}/v1/introspection/${node.uuid}/logs`, undefined, { auth: READER })).status).toBe(403);
  });
});

test('no run token or BMC password reaches Temporal history', async () => {
  const histories = await historyTexts(stack.config, `WorkflowType IN ('introspectNode', 'reapplyNode')`);
  for (const { text } of histories) for (const secret of [...tokens, 'calvin-secret', 'kept-secret']) expect(text).not.toContain(secret);
  expect(tokens.size).toBeGreaterThanOrEqual(5);
  expect(histories.length).toBeGreaterThanOrEqual(tokens.size);
});

import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { SimRack } from '../../sim/rack';
import { enrollSimNode, startStackWithRack, type StackWithRack } from '../support/rack';
import { ADMIN, http, waitFor, type Stack } from '../support/stack';

// The operator's own `openstack baremetal ...` commands, unchanged, against Introspector:
// python-openstackclient + python-ironicclient (Debian) + python-ironic-inspector-client (PyPI),
// authenticating with HTTP basic as the API requires.

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const hasPython = fs.existsSync('/usr/bin/python3');
const describeIfPython = hasPython ? describe : describe.skip;
if (!hasPython) console.warn('skipping the OpenStack client test: /usr/bin/python3 is missing');

let env: StackWithRack;
let stack: Stack;
let rack: SimRack;
let python: string;
let cacheDir: string;

async function openstack(...args: string[]): Promise<string> {
  const argv = [
    '-c', 'import sys; from openstackclient.shell import main; sys.exit(main(sys.argv[1:]))',
    '--os-endpoint', stack.nodeUrl,
    '--inspector-url', stack.inspectorUrl,
    ...args,
  ];
  // keystoneauth's http_basic plugin, the way an operator of Ironic with http_basic sets it up
  const credentials = { OS_AUTH_TYPE: 'http_basic', OS_USERNAME: ADMIN.user, OS_PASSWORD: ADMIN.password };
  try {
    const { stdout } = await run(python, argv, { env: { ...process.env, ...credentials, XDG_CACHE_HOME: cacheDir }, timeout: 60000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`openstack ${args.join(' ')} failed: ${e.stderr || e.stdout || e.message}`);
  }
}

const json = async (...args: string[]) => JSON.parse(await openstack(...args, '-f', 'json'));

/** Polls `introspection status` until the run (not a reapply in progress) has finished. */
const untilFinished = (node: string, timeoutMs: number) =>
  waitFor(
    `introspection of ${node} to finish`,
    async () => {
      const s = await json('baremetal', 'introspection', 'status', node);
      return s.finished && s.state !== 'reapplying' ? s : undefined;
    },
    timeoutMs,
    500,
  );

describeIfPython('openstack baremetal commands against Introspector', () => {
  beforeAll(async () => {
    python = execFileSync('bash', [path.join(ROOT, 'scripts', 'openstack-clients.sh')], { encoding: 'utf8', timeout: 600000 }).trim();
    env = await startStackWithRack(17533, { INTROSPECTION_TIMEOUT: '120' }, { count: 2, prefix: 'osc', net: 37, failBoots: { 2: 1000 } });
    ({ stack, rack } = env);
    cacheDir = path.join(stack.dataDir, 'xdg-cache');
    for (const node of rack.nodes) await enrollSimNode(stack, node, { port: true });
  }, 900000);

  afterAll(() => env?.stop());

  test('manage, introspect, show, save data, list, reprocess, interfaces', async () => {
    const node = rack.nodes[0];
    await openstack('baremetal', 'node', 'manage', node.name);
    expect((await json('baremetal', 'node', 'show', node.name)).provision_state).toBe('manageable');

    await openstack('baremetal', 'introspection', 'start', node.name);
    const status = await untilFinished(node.name, 90000);
    expect(status.state).toBe('finished');
    expect(status.error).toBeNull();

    const shown = await json('baremetal', 'node', 'show', node.name);
    expect(shown.provision_state).toBe('manageable');
    expect(shown.properties).toMatchObject({ cpus: expect.any(Number), memory_mb: expect.any(Number), local_gb: expect.any(Number), cpu_arch: expect.any(String) });
    expect(shown.properties.capabilities).toMatch(/boot_mode:(bios|uefi)/);
    expect(shown.driver_info.ipmi_password).toBe('******');
    expect(shown.extra.hardware_swift_object).toBe(`extra_hardware-${shown.uuid}`);

    const saved = JSON.parse(await openstack('baremetal', 'introspection', 'data', 'save', node.name));
    expect(saved).toEqual((await http('GET', `${stack.inspectorUrl}/v1/introspection/${shown.uuid}/data`)).body);

    const list = await json('baremetal', 'introspection', 'list');
    expect(list.map((row: any) => row.UUID)).toContain(shown.uuid);

    const interfaces = await json('baremetal', 'introspection', 'interface', 'list', node.name);
    expect(interfaces.map((row: any) => row['MAC Address'])).toContain(node.mac);
    const iface = await json('baremetal', 'introspection', 'interface', 'show', node.name, interfaces[0].Interface);
    expect(iface.mac).toBe(interfaces[0]['MAC Address']);

    await openstack('baremetal', 'introspection', 'reprocess', node.name);
    const again = await untilFinished(node.name, 60000);
    expect(again).toMatchObject({ state: 'finished', error: null });
  }, 300000);

  test('rules: import from a file, list, show, delete, purge', async () => {
    const file = path.join(stack.dataDir, 'rules.json');
    fs.writeFileSync(
      file,
      JSON.stringify([
        { description: 'big memory', conditions: [{ op: 'ge', field: 'node://properties.memory_mb', value: 1024 }], actions: [{ action: 'add-trait', name: 'CUSTOM_BIG' }] },
        { description: 'tag rack', conditions: [], actions: [{ action: 'set-attribute', path: '/extra/rack', value: 'r37' }] },
      ]),
    );
    await openstack('baremetal', 'introspection', 'rule', 'import', file);
    const rules = await json('baremetal', 'introspection', 'rule', 'list');
    expect(rules.map((r: any) => r.Description).sort()).toEqual(['big memory', 'tag rack']);
    const shown = await json('baremetal', 'introspection', 'rule', 'show', rules[0].UUID);
    expect(shown.uuid).toBe(rules[0].UUID);
    await openstack('baremetal', 'introspection', 'rule', 'delete', rules[0].UUID);
    expect(await json('baremetal', 'introspection', 'rule', 'list')).toHaveLength(1);
    await openstack('baremetal', 'introspection', 'rule', 'purge');
    expect(await json('baremetal', 'introspection', 'rule', 'list')).toEqual([]);
  }, 120000);

  test('abort ends a fresh introspection in error with the node powered off', async () => {
    const node = rack.nodes[1];
    await openstack('baremetal', 'node', 'manage', node.name);
    await openstack('baremetal', 'introspection', 'start', node.name);
    await waitFor('the node to wait for its agent', async () => ((await json('baremetal', 'introspection', 'status', node.name)).state === 'waiting' ? true : undefined), 30000, 500);
    await waitFor('the node to be powered on', async () => (rack.powerState(node) === 'on' ? true : undefined), 30000); // waiting comes first
    await openstack('baremetal', 'introspection', 'abort', node.name);
    const status = await untilFinished(node.name, 30000);
    expect(status.state).toBe('error');
    expect(status.error).toMatch(/Canceled by operator/);
    expect(rack.powerState(node)).toBe('off');
    expect((await json('baremetal', 'node', 'show', node.name)).provision_state).toBe('inspect failed');
  }, 120000);
});

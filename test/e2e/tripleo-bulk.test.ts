import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { enrollSimNode, startStackWithRack, type StackWithRack } from '../support/rack';
import { ADMIN, http, waitFor } from '../support/stack';

// TripleO's `openstack baremetal introspection bulk start`, verbatim, with the real OpenStack
// client and this repo's plugin (scripts/osc-plugin, installed by scripts/openstack-clients.sh),
// against a small simulated rack: enroll nodes are made manageable (one with a wrong BMC password
// stays in enroll), every manageable node is introspected by one bulk run whose progress the
// command prints, and the nodes end available.

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const hasPython = fs.existsSync('/usr/bin/python3');
const describeIfPython = hasPython ? describe : describe.skip;

describeIfPython('openstack baremetal introspection bulk start (TripleO) against Introspector', () => {
  let env: StackWithRack;
  let python: string;

  /** The `openstack` command (openstackclient's main) in the clients' venv; exit code and output. */
  async function openstack(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const argv = [
      '-c', 'import sys; from openstackclient.shell import main; sys.exit(main(sys.argv[1:]))',
      '--os-endpoint', env.stack.nodeUrl,
      '--inspector-url', env.stack.inspectorUrl,
      ...args,
    ];
    const credentials = { OS_AUTH_TYPE: 'http_basic', OS_USERNAME: ADMIN.user, OS_PASSWORD: ADMIN.password };
    const cache = path.join(env.stack.dataDir, 'xdg-cache');
    try {
      const { stdout, stderr } = await run(python, argv, { env: { ...process.env, ...credentials, XDG_CACHE_HOME: cache }, timeout: 300000 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
    }
  }

  const node = async (name: string) => (await http('GET', `${env.stack.nodeUrl}/v1/nodes/${name}`)).body;

  beforeAll(async () => {
    python = execFileSync('bash', [path.join(ROOT, 'scripts', 'openstack-clients.sh')], { encoding: 'utf8', timeout: 600000 }).trim();
    env = await startStackWithRack(19453, {}, { count: 4, prefix: 'tbulk', net: 96 });
    const [a, b, c, wrong] = env.rack.nodes;
    for (const n of [a, b, c]) await enrollSimNode(env.stack, n, { port: true });
    await enrollSimNode(env.stack, wrong, { port: true, password: 'not-the-password' });
    // One node is manageable already; the others are in enroll, as TripleO's import leaves them.
    expect((await http('PUT', `${env.stack.nodeUrl}/v1/nodes/${c.name}/states/provision`, { target: 'manage' })).status).toBe(202);
    await waitFor(`${c.name} to be manageable`, async () => ((await node(c.name)).provision_state === 'manageable' ? true : undefined), 60000);
  }, 900000);

  afterAll(() => env?.stop());

  test('--run-validations is refused before anything starts', async () => {
    const result = await openstack('baremetal', 'introspection', 'bulk', 'start', '--run-validations');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/--run-validations: the TripleO Validations are not part of Introspector/);
    expect((await http('GET', `${env.stack.inspectorUrl}/v1/introspection/bulk`)).body.bulks).toEqual([]);
    expect((await node(env.rack.nodes[0].name)).provision_state).toBe('enroll');
  }, 120000);

  test('manage, one bulk run over every manageable node with its progress, provide', async () => {
    const [a, b, c, wrong] = env.rack.nodes;
    const result = await openstack('baremetal', 'introspection', 'bulk', 'start');
    expect(result).toMatchObject({ code: 0 });
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('Setting nodes for introspection to manageable...');
    // the node whose BMC refuses the credentials stays in enroll, saying why
    expect(result.stdout).toMatch(new RegExp(`  ${wrong.name}: .*BMC`));
    expect(lines).toContain('Starting introspection of manageable nodes');

    const bulks = (await http('GET', `${env.stack.inspectorUrl}/v1/introspection/bulk`)).body.bulks;
    expect(bulks).toHaveLength(1);
    expect(bulks[0]).toMatchObject({ state: 'finished', total: 3, finished: 3, failed: 0, skipped: 0 });
    expect(lines).toContain(`Bulk introspection ${bulks[0].bulk_id} started`);
    const progress = lines.filter((l) => / done: running /.test(l));
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.at(-1)).toBe('3/3 done: running 0, finished 3, failed 0, skipped 0, pending 0');
    expect(lines).toContain('Setting manageable nodes to available...');
    expect(lines).toContain('Introspection completed: 3 finished, 0 skipped');

    for (const n of [a, b, c]) {
      const shown = await node(n.name);
      expect(shown.provision_state).toBe('available');
      expect(shown.properties).toMatchObject({ cpus: expect.any(Number), memory_mb: expect.any(Number) });
      expect(env.rack.powerState(n)).toBe('off');
    }
    expect(await node(wrong.name)).toMatchObject({ provision_state: 'enroll', last_error: expect.stringMatching(/BMC/) });
  }, 600000);
});

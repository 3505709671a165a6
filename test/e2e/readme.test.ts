import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseRule } from '../../activities/rules/schema';
import { loadConfig } from '../../common/config';
import { Chassis } from '../../sim/chassis';
import { nodeDirName, removeRack } from '../../sim/cleanup';
import { describeWithRack } from '../sim/support';
import { BackgroundCommand, processGroup, ShellSession, TestNetns, type ShellResult } from '../support/netns-shell';
import { commandsOf, readmeBlocks, type ReadmeCommand } from '../support/readme';
import { waitFor } from '../support/stack';

// Every example in README.md runs here as written, so that none goes stale: the commands of its
// indented blocks, one at a time in one bash session (variables and aliases carry over, as in an
// operator's terminal), each checked for what its comment says; `npm start`, `npm run sim` and
// `npm run demo` in process groups of their own, stopped with Ctrl-C. Its JSON rule is validated
// against the rules schema, its ISC dhcpd snippet checked against what the boot service serves.
//
// Everything runs in a network namespace of this test's own, where the README's addresses are the
// real ones: `npm start` takes its documented ports (5050, 6385, Temporal on 7233...; on the host
// it could not move Temporal and S3 off theirs without being told to use servers it does not
// start), so no command is rewritten and nothing collides with the host's services or other tests.
// The README's server rack1-u07 exists there: a simulated one (ipmi_sim BMC, an agent in a
// namespace of its own) with the BMC address, credentials and MAC the README enrolls it with,
// so its introspections succeed rather than fail on a BMC that is not there.

const ROOT = path.resolve(__dirname, '..', '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const BLOCKS = readmeBlocks(README);
const shellBlocks = (section: string) => BLOCKS.filter((b) => b.kind === 'shell' && b.section === section);
const commandsIn = (section: string) => shellBlocks(section).flatMap(commandsOf);

/** Sections whose shell blocks this test runs. */
const RUN_HERE = ['The two commands', 'Example', 'A whole rack at once', 'Command line', 'Demo', 'Using the OpenStack client'];
/** Commands of those sections that run elsewhere, and where. */
const COMMANDS_ELSEWHERE: Record<string, string> = { 'npm test': '.ci/run' };
/** Sections another test runs: here only the settings, scripts and files they name are checked. */
const SECTIONS_ELSEWHERE: Record<string, string> = { 'Using an existing Temporal cluster': 'test/e2e/temporal-cluster.test.ts' };

// The README's addresses, as `npm start` serves them.
const INSPECTOR = 'localhost:5050';
const ADMIN_AUTH = '-u "admin:$(cat data/admin-password)"';

describe('README examples: every block is run here or listed', () => {
  test('each shell block is in a section run here or by another test', () => {
    const unknown = BLOCKS.filter((b) => b.kind === 'shell' && !RUN_HERE.includes(b.section) && !(b.section in SECTIONS_ELSEWHERE));
    expect(unknown.map((b) => `line ${b.line} (${b.section})`)).toEqual([]);
    for (const section of RUN_HERE) expect(shellBlocks(section).length).toBeGreaterThan(0);
  });

  test('npm start, npm run demo and npm run sim stand where this test starts them apart', () => {
    expect(commandsIn('The two commands').map((c) => c.text)).toEqual(['npm start', ...Object.keys(COMMANDS_ELSEWHERE)]);
    const [demo, sim] = shellBlocks('Demo').map(commandsOf);
    expect(shellBlocks('Demo')).toHaveLength(2);
    expect(demo.map((c) => c.text)).toEqual(['npm run demo']);
    expect(sim[0].text).toMatch(/^npm run sim\b/);
  });

  test('the commands run elsewhere exist there, and what they name exists', () => {
    for (const [command, file] of Object.entries(COMMANDS_ELSEWHERE)) expect(fs.readFileSync(path.join(ROOT, file), 'utf8')).toContain(command);
    for (const [section, file] of Object.entries(SECTIONS_ELSEWHERE)) {
      if (shellBlocks(section).length === 0) continue; // not written yet
      expect(fs.existsSync(path.join(ROOT, file))).toBe(true);
      for (const command of commandsIn(section)) expectNamesExist(command.text);
    }
  });

  test('the JSON example is a valid introspection rule', () => {
    const json = BLOCKS.filter((b) => b.kind === 'fenced' && b.info === 'json');
    expect(json.length).toBeGreaterThan(0);
    for (const block of json) expect(() => parseRule(JSON.parse(block.text))).not.toThrow();
  });

  test('the ISC dhcpd example chains to the boot service and names the iPXE files dnsmasq serves', () => {
    const fenced = BLOCKS.filter((b) => b.kind === 'fenced' && b.info !== 'json');
    expect(fenced.map((b) => b.section)).toEqual(['PXE and DHCP']);
    const [dhcpd] = fenced;
    expect(dhcpd.text).toMatch(/filename "http:\/\/[^"]+:5050\/boot\.ipxe"/);
    const files = [...dhcpd.text.matchAll(/filename "([^":/]+)"/g)].map((m) => m[1]);
    expect(files.sort()).toEqual(['snponly.efi', 'undionly.kpxe']);
    // the ones pxe/dnsmasq.ts copies into its TFTP root, from Debian's ipxe package
    const dnsmasq = fs.readFileSync(path.join(ROOT, 'pxe', 'dnsmasq.ts'), 'utf8');
    for (const file of files) expect(dnsmasq).toContain(`'${file}'`);
  });
});

/** npm scripts, repository files and settings a command names exist. */
function expectNamesExist(command: string): void {
  const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts;
  for (const [, script] of command.matchAll(/\bnpm (?:run )?(start|test|(?<=run )[\w:-]+)/g)) expect(Object.keys(scripts)).toContain(script);
  for (const [, file] of command.matchAll(/(?:^|\s)((?:scripts|test|sim|bench|ops)\/[\w./-]+\.\w+)/g)) expect(fs.existsSync(path.join(ROOT, file))).toBe(true);
  const config = fs.readFileSync(path.join(ROOT, 'common', 'config.ts'), 'utf8');
  for (const [, name] of command.matchAll(/\b([A-Z][A-Z0-9_]+)=/g)) expect(config).toContain(`${name}:`);
}

/**
 * A working directory that is the checkout (every entry a link to the repository's) but for a
 * data/ of its own; the same path every run, so that npx keeps one entry in its cache for it.
 */
function checkoutWithOwnData(name: string): string {
  const dir = path.join(os.tmpdir(), `introspector-${name}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir);
  for (const entry of fs.readdirSync(ROOT)) {
    if (entry !== 'data' && entry !== '.git') fs.symlinkSync(path.join(ROOT, entry), path.join(dir, entry));
  }
  fs.mkdirSync(path.join(dir, 'data'));
  return dir;
}

/** The environment of an operator's shell on this host: this checkout's bin/introspector on PATH, the tools bootstrap.sh installed. */
function operatorEnv(dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`,
    HOME: os.homedir(),
    LANG: 'C.UTF-8',
    INTROSPECTOR_TOOLS_DIR: loadConfig({ INTROSPECTOR_TOOLS_DIR: process.env.INTROSPECTOR_TOOLS_DIR }).INTROSPECTOR_TOOLS_DIR,
    // The OpenStack client caches its plugins' entry points here: fresh, it sees the inspector's.
    XDG_CACHE_HOME: path.join(dir, 'cache'),
    npm_config_update_notifier: 'false',
    ...extra,
  };
}

interface Outcome extends ShellResult {
  /** curl's HTTP status (from -w) and its body, parsed when JSON. */
  http?: { status: number; body: any };
}

/** What a command's comment says it does, as checks. */
interface Expectation {
  /** Waits for this before the command runs. */
  before?: (command: string) => Promise<void>;
  /** The command is run again, every second, until its outcome shows this. */
  until?: (o: Outcome) => boolean;
  /** Exit code (default 0), and curl's HTTP status (default: any 2xx). */
  code?: number;
  status?: number;
  check?: (o: Outcome, command: string) => Promise<void> | void;
}

// In an order a reader can follow: a block uses the session's aliases and the nodes the blocks
// before it enrolled (the whole rack's after the command line's, which puts the server in r12).
describeWithRack('README examples on `npm start`', () => {
  let netns: TestNetns;
  let dir: string;
  let session: ShellSession;
  let npmStart: BackgroundCommand;
  let sim: BackgroundCommand | undefined;
  let server: BackgroundCommand;
  /** Fields of the JSON answers so far, for placeholders like <bulk_id>. */
  const answers: Record<string, string> = {};

  // The server the Example enrolls, and its commands up to the enrollment (the port's).
  const example = commandsIn('Example');
  const posting = (route: string) => example.findIndex((c) => new RegExp(`-XPOST \\S*/v1/${route}\\b`).test(c.text));
  const enrolling = example.slice(0, posting('ports') + 1);
  const bodyOf = (command: ReadmeCommand) => JSON.parse(/-d '([^']*)'/.exec(command.text)![1]);
  const exampleNode = bodyOf(example[posting('nodes')]);
  const exampleMac: string = bodyOf(example[posting('ports')]).address;
  const SERVER_PREFIX = 'rdm';
  const serverDir = () => path.join(dir, 'server', nodeDirName(SERVER_PREFIX, 1));

  const HTTP_STATUS = ` -w '\\n%{http_code}'`;
  async function execute(command: string, timeoutMs = 300_000): Promise<Outcome> {
    if (!/^(command\s+)?curl\s/.test(command)) return session.run(command, timeoutMs);
    const result = await session.run(command + HTTP_STATUS, timeoutMs);
    const cut = result.stdout.lastIndexOf('\n');
    const body = result.stdout.slice(0, cut);
    let parsed: unknown = body;
    try {
      parsed = JSON.parse(body);
    } catch {
      // not JSON: the text
    }
    return { ...result, stdout: body, http: { status: Number(result.stdout.slice(cut + 1)), body: parsed } };
  }

  /** GET on the inspector API as admin, with the password `npm start` keeps (not through the README's alias). */
  async function inspector(route: string): Promise<any> {
    const o = await execute(`command curl -s ${ADMIN_AUTH} ${INSPECTOR}${route}`);
    if (o.http!.status !== 200) throw new Error(`GET ${route}: ${o.http!.status} ${o.stdout}`);
    return o.http!.body;
  }

  const introspectionEnded = (node: string, timeoutMs = 120_000) =>
    waitFor(`the introspection of ${node} to end`, async () => {
      const status = await inspector(`/v1/introspection/${node}`);
      return status.finished && status.state !== 'reapplying' ? status : undefined;
    }, timeoutMs, 1000);

  const simNode = (i: number) => nodeDirName('sim', i); // `npm run sim`'s default prefix
  const chassisLog = (nodeDir: string) => fs.readFileSync(path.join(nodeDir, 'chassis.log'), 'utf8');

  const EXPECTATIONS: Record<string, Expectation> = {
    "every call but the agent's authenticates": {
      check: async () => expect((await execute(`command curl -s localhost:6385/v1/nodes`)).http!.status).toBe(401),
    },
    '202: started': { status: 202 },
    '{"state":"waiting","finished":false,...}': {
      status: 200,
      check: ({ http }) => {
        expect(['starting', 'waiting', 'processing', 'finished']).toContain(http!.body.state);
        expect(http!.body.finished).toBe(http!.body.state === 'finished');
      },
    },
    'processed data, once finished': {
      before: async (command) => {
        const status = await introspectionEnded(/\/v1\/introspection\/([^/\s]+)\/data/.exec(command)![1]);
        expect(status).toMatchObject({ state: 'finished', error: null });
      },
      status: 200,
      check: ({ http }) => {
        expect(http!.body.inventory.interfaces.map((i: any) => i.mac_address)).toContain(exampleMac);
        expect(http!.body.inventory.bmc_address).toBe(exampleNode.driver_info.ipmi_address);
      },
    },
    '202 {"bulk_id": ...}': { status: 202, check: ({ http }) => expect(http!.body.bulk_id).toMatch(/^[0-9a-f-]{36}$/) },
    'counts + the first 1000 nodes': {
      status: 200,
      check: ({ http }) => {
        expect(http!.body).toMatchObject({ total: expect.any(Number), finished: expect.any(Number), failed: expect.any(Number) });
        expect(http!.body.nodes.length).toBe(Math.min(http!.body.total, 1000));
      },
    },
    'or: npm run cli -- --help': {
      check: async ({ stdout }) => {
        const usage = (text: string) => text.slice(text.indexOf('Usage: introspector'));
        const alternative = await execute('npm run cli -- --help');
        expect(alternative.code).toBe(0);
        expect(usage(stdout)).toMatch(/^Usage: introspector .*\n[\s\S]*introspection/);
        expect(usage(alternative.stdout)).toBe(usage(stdout));
      },
    },
    'live progress bar': { check: ({ stdout }) => expect(stdout).toMatch(/\b(\d+) nodes: \1 finished, 0 failed/) },
    "node 3's failed boot is retried after 30 s, not 600; node 5 fails on its password: exit 1": {
      code: 1,
      check: async ({ stdout }) => {
        expect(stdout).toMatch(/8 nodes: 7 finished, 1 failed, 0 skipped/);
        expect(stdout).toMatch(new RegExp(`${simNode(5)}\\s.*the BMC rejected the username or password`));
        // Node 3's first PXE boot started nothing; the run power-cycled it after the 30 s and it
        // was introspected (with the 600 s default, the bulk would still be waiting for it).
        expect(chassisLog(path.join(dir, 'data', 'sim', simNode(3)))).toMatch(/boot failed \(injected\)[\s\S]*firmware started/);
        expect(await inspector(`/v1/introspection/${simNode(3)}`)).toMatchObject({ state: 'finished', error: null });
      },
    },
    'e.g. ~/.cache/introspector/osc-venv/bin/python': {
      check: async () => expect((await execute('"$PY" -c "import ironic_inspector_client, openstackclient"')).code).toBe(0),
    },
    'enroll → manageable, once its BMC answered': {},
    'the stored data again, through the rules': {},
    'until "finished" is True': { until: ({ stdout }) => /\|\s*finished\s*\|\s*True\s*\|/.test(stdout) },
    'while it runs: it ends in error, the server powered off': {
      check: async (_, command) => {
        const status = await introspectionEnded(command.split(/\s+/).pop()!, 60_000);
        expect(status).toMatchObject({ state: 'error', error: expect.stringMatching(/Canceled by operator/) });
        expect(new Chassis(serverDir()).powerState()).toBe('off');
      },
    },
  };

  async function runReadmeCommand(command: ReadmeCommand): Promise<void> {
    const expectation = command.comment === null ? {} : EXPECTATIONS[command.comment];
    if (!expectation) throw new Error(`this test does not know what the README's \`${command.text}  # ${command.comment}\` promises: teach EXPECTATIONS`);
    const text = command.text.replace(/<([a-z_]+)>/g, (_, name: string) => {
      if (!(name in answers)) throw new Error(`\`${command.text}\`: no answer before it gave ${name}`);
      return answers[name];
    });
    await expectation.before?.(text);
    let outcome = await execute(text);
    const deadline = Date.now() + 180_000;
    while (expectation.until && !expectation.until(outcome) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      outcome = await execute(text);
    }
    const said = `\`${text}\` (exit ${outcome.code}${outcome.http ? `, HTTP ${outcome.http.status}` : ''}):\n${outcome.stdout.slice(-2000)}\n${outcome.stderr.slice(-2000)}`;
    try {
      if (expectation.until) expect(expectation.until(outcome)).toBe(true);
      expect(outcome.code).toBe(expectation.code ?? 0);
      if (outcome.http) {
        if (expectation.status) expect(outcome.http.status).toBe(expectation.status);
        else expect(outcome.http.status >= 200 && outcome.http.status < 300).toBe(true);
      }
      await expectation.check?.(outcome, text);
    } catch (err) {
      throw new Error(`${said}\n${(err as Error).message}`);
    }
    if (outcome.http && typeof outcome.http.body === 'object' && outcome.http.body) {
      for (const [key, value] of Object.entries(outcome.http.body)) if (typeof value === 'string') answers[key] = value;
    }
  }

  const runAll = async (commands: ReadmeCommand[]) => {
    for (const command of commands) await runReadmeCommand(command);
  };

  /** Starts the section from a registry without the README's server: its blocks enroll it themselves. */
  async function deleteExampleNode(): Promise<void> {
    const o = await execute(`command curl -s -XDELETE ${ADMIN_AUTH} localhost:6385/v1/nodes/${exampleNode.name}`);
    expect([204, 404]).toContain(o.http!.status);
  }

  beforeAll(async () => {
    netns = await TestNetns.create('readme85', [`${exampleNode.driver_info.ipmi_address}/32`]);
    dir = checkoutWithOwnData(netns.name);
    const options = {
      dir: path.join(dir, 'server'),
      count: 1,
      prefix: SERVER_PREFIX,
      net: 85,
      inspectorPort: 5050,
      username: exampleNode.driver_info.ipmi_username,
      password: exampleNode.driver_info.ipmi_password,
      identity: { 1: { bmcAddress: exampleNode.driver_info.ipmi_address, mac: exampleMac } },
      // its power-on takes a while, so that the README's aborts find its run still going
      bootDelaySeconds: 6,
    };
    server = new BackgroundCommand(netns, [process.execPath, '--import', 'tsx', 'test/sim/rack-process.ts', JSON.stringify(options)], ROOT, process.env, path.join(dir, 'server.log'));
    const [start] = commandsIn('The two commands');
    npmStart = new BackgroundCommand(netns, ['bash', '-c', start.text], dir, operatorEnv(dir), path.join(dir, 'npm-start.log'));
    await server.waitForOutput('up', 120_000);
    await npmStart.waitForOutput('Introspector is running', 180_000);
    // The CLI example reads the BMC's password from a variable the operator set.
    session = new ShellSession(netns, dir, operatorEnv(dir, { BMC_PASSWORD: exampleNode.driver_info.ipmi_password }), path.join(dir, 'session'));
  }, 400_000);

  afterAll(async () => {
    session?.close();
    for (const command of [sim, npmStart, server]) command?.kill();
    await netns?.remove();
    if (dir) {
      await removeRack(path.join(dir, 'server'), SERVER_PREFIX);
      if (sim) await removeRack(path.join(dir, 'data', 'sim'), 'sim');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test('npm start: the services it names, the URLs the README gives, admin\'s password in data/admin-password', async () => {
    const commandLines = processGroup(npmStart.pgid).map((member) => fs.readFileSync(`/proc/${member.split(' ')[0]}/cmdline`, 'utf8'));
    for (const service of [/temporal\0server\0start-dev/, /versitygw/, /api\/main\.ts/, /worker\/main\.ts/]) {
      expect(commandLines.filter((line) => service.test(line))).toHaveLength(1);
    }
    const output = npmStart.output();
    for (const url of ['http://127.0.0.1:5050/v1/introspection', 'http://127.0.0.1:6385/v1/nodes', 'http://127.0.0.1:8233/', 'http://127.0.0.1:7070']) {
      expect(output).toContain(url);
    }
    expect(fs.statSync(path.join(dir, 'data', 'admin-password')).mode & 0o777).toBe(0o600);
    // where the ISC dhcpd example chains iPXE to
    expect((await execute(`command curl -s ${INSPECTOR}/boot.ipxe`)).stdout).toMatch(/^#!ipxe/);
  });

  test('Example: enroll the server with curl, introspect it, read its data', async () => {
    await runAll(example);
  }, 300_000);

  test('Command line: the same server enrolled with the CLI, in rack r12, introspected in bulk', async () => {
    await deleteExampleNode();
    await runAll(commandsIn('Command line'));
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'u07.json'), 'utf8'));
    expect(saved.inventory.interfaces.map((i: any) => i.mac_address)).toContain(exampleMac);
  }, 300_000);

  test('A whole rack at once: rack r12 in bulk, its status, abort', async () => {
    await runAll(commandsIn('A whole rack at once'));
    const bulk = await waitFor('the bulk run to end', async () => {
      const status = await inspector(`/v1/introspection/bulk/${answers.bulk_id}`);
      return status.state === 'running' ? undefined : status;
    }, 60_000, 500);
    expect(bulk).toMatchObject({ state: 'aborted', total: 1 });
  }, 120_000);

  (fs.existsSync('/usr/bin/python3') ? test : test.skip)('Using the OpenStack client: the README server from enrollment to abort', async () => {
    // as the OpenStack client test installs them: the first time this takes minutes
    execFileSync('bash', [path.join(ROOT, 'scripts', 'openstack-clients.sh')], { encoding: 'utf8', timeout: 600_000 });
    await deleteExampleNode();
    await runAll(enrolling); // the server freshly enrolled, as the Example enrolls it
    const [rule] = BLOCKS.filter((b) => b.kind === 'fenced' && b.info === 'json');
    fs.writeFileSync(path.join(dir, 'rules.json'), rule.text); // `rule import rules.json`: the README's rule
    await runAll(commandsIn('Using the OpenStack client'));
    const rules = await inspector('/v1/rules');
    expect(rules.rules.map((r: any) => r.description)).toContain(JSON.parse(rule.text).description);
  }, 600_000);

  test('Demo: `npm run sim` beside npm start, a bulk run with a retried boot and a wrong password, Ctrl-C tears it down', async () => {
    const [simCommand, ...rest] = commandsOf(shellBlocks('Demo')[1]);
    sim = new BackgroundCommand(netns, ['bash', '-c', simCommand.text], dir, operatorEnv(dir), path.join(dir, 'sim.log'));
    await sim.waitForOutput('Press Ctrl-C', 180_000);
    await runAll(rest);

    sim.interrupt();
    await sim.waitForOutput('rack removed', 60_000);
    expect(await sim.groupEnded(30_000)).toEqual([]);
    const simDir = path.join(dir, 'data', 'sim');
    const ipmiSims = fs
      .readdirSync('/proc')
      .filter((pid) => /^\d+$/.test(pid))
      .filter((pid) => {
        try {
          return fs.readlinkSync(`/proc/${pid}/cwd`).startsWith(simDir);
        } catch {
          return false;
        }
      });
    expect(ipmiSims).toEqual([]);
    expect(fs.readdirSync('/run/netns').filter((name) => /^simns\d+$/.test(name))).toEqual([]);
    expect((await execute('ip -o link show type veth')).stdout).not.toMatch(/\bsimh\d+/);
  }, 400_000);

  test('Ctrl-C stops npm start and everything it started', async () => {
    npmStart.interrupt();
    expect(await npmStart.groupEnded(60_000)).toEqual([]);
    expect(npmStart.output()).toContain('stopping...');
    for (const port of [5050, 6385, 7233, 7070, 8233]) {
      expect((await execute(`command curl -s -o /dev/null localhost:${port}`)).code).toBe(7); // connection refused
    }
  }, 120_000);
});

describeWithRack('README examples: npm run demo', () => {
  test('the stack and an 8-node simulated rack, bulk-introspected: a table of 8 servers; then the diffs and acceptance report of three changed ones', async () => {
    const [demo] = commandsIn('Demo');
    // A namespace of its own: the demo's stack takes the same documented ports as `npm start`.
    const netns = await TestNetns.create('readme86');
    const dir = checkoutWithOwnData(netns.name);
    const run = new BackgroundCommand(netns, ['bash', '-c', demo.text], dir, operatorEnv(dir), path.join(dir, 'demo.log'));
    try {
      const code = await run.exited;
      const output = run.output();
      expect({ code, output: output.slice(-3000) }).toMatchObject({ code: 0 });
      const table = output.slice(output.indexOf('Discovered hardware:'), output.indexOf('A technician works on the rack')).split('\n');
      const rows = table.filter((line) => /^demo-node-\d\d\s/.test(line));
      expect(rows).toHaveLength(8);
      for (const row of rows) expect(row).toMatch(/\s52:54:00:\S+\s+\d+\s+\S+\s+\d+\s+\d+\s+.*\smanageable$/);
      // The ending: what each change looks like in the second run's diff, and the acceptance report.
      const printed = output.slice(output.indexOf('\n$ introspector')).split('\n$ ');
      const after = (command: string) => printed.find((text) => text.startsWith(command)) ?? `(no ${command})`;
      expect(after('introspector introspection diff demo-node-03')).toMatch(/^memory\s+changed\s+total_mb\s+131072\s+114688$/m);
      expect(after('introspector introspection diff demo-node-03')).toMatch(/^dimms\s+removed\s+\S*B1\s+16 GiB\s/m);
      const replaced = /demo-node-05: replaced disk sdb: serial (\w+) -> (\w+)/.exec(output);
      expect(after('introspector introspection diff demo-node-05')).toMatch(new RegExp(`^disks\\s+replaced\\s+sdb\\s+${replaced?.[1]}\\s+${replaced?.[2]}$`, 'm'));
      expect(after('introspector introspection diff demo-node-06')).toMatch(/^nics\s+moved\s+eth0\b.*\sleaf-demo Ethernet1\/6\s+leaf-demo Ethernet1\/14$/m);
      const report = after('introspector report --bulk');
      expect(report).toMatch(/^demo\s+6\s+2\s+0\s+0\s+0\s+0$/m); // conforming, not conforming, not checked, failed...
      expect(report).toMatch(/^demo\s+demo-node-03\s.*\smemory\.mib\s+131072\s+114688$/m);
      expect(report).toMatch(/^Miscabled ports \(1\):\n.*\ndemo\s+demo-node-06\s+eth0\s+leaf-demo Ethernet1\/6\s+leaf-demo Ethernet1\/14$/m);
      expect(await run.groupEnded(30_000)).toEqual([]);
    } finally {
      run.kill();
      await netns.remove();
      await removeRack(path.join(dir, 'data', 'demo', 'rack'), 'demo');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 400_000);
});

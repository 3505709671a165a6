// `npm run sim -- --count 8`: a simulated rack beside a running `npm start`, enrolled through
// the node API, until Ctrl-C (or SIGTERM, or the terminal going away). Failure injection:
// --fail-boots 3:1,5:100 (node:PXE boots that start nothing), --wrong-password 4 (node 4 enrolled
// with a password its BMC refuses); unkind BMCs: --slow 2:500 (ms more per request), --flaky
// 3:0.3 (share of requests lost), --busy 4:5 (first 5 requests refused busy; 4:0.5 half of them).
// --redfish 3,4 (or all) gives nodes Redfish BMCs, enrolled with driver redfish.
// Credentials for the node API as for the CLI: INTROSPECTOR_USERNAME/INTROSPECTOR_PASSWORD,
// else the admin password file of `npm start`.
// Each node has hardware of its own (sim/hardware.ts); `npm run sim -- change NODE ...` changes it
// between boots (sim/change.ts), e.g. `npm run sim -- change sim-node-03 remove-dimm B1`.
import path from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { authHeaders, credentialsHint, resolveCredentials } from '../cli/credentials';
import { changeCommand } from './change';
import { driverFor, SimRack } from './rack';

const nodeList = z.string().regex(/^\d+(,\d+)*$/, 'node numbers like 4,7');
const pairs = (example: string) => z.string().regex(/^\d+:\d+(\.\d+)?(,\d+:\d+(\.\d+)?)*$/, `like ${example}`).optional();

const Options = z.object({
  count: z.coerce.number().int().min(1).max(200),
  prefix: z.string().regex(/^[a-z]{1,5}$/, 'letters only, at most 5'),
  net: z.coerce.number().int().min(1).max(254),
  inspectorPort: z.coerce.number().int().min(1).max(65535),
  nodeUrl: z.url(),
  rack: z.string().min(1),
  bootDelay: z.coerce.number().min(0).max(600),
  powerDelay: z.coerce.number().min(0).max(600),
  bootOverrideExpiry: z.coerce.number().min(0).max(3600),
  failBoots: pairs('3:1,5:100'),
  wrongPassword: nodeList.optional(),
  redfish: z.union([z.literal('all'), nodeList]).optional(),
  slow: pairs('2:500'),
  flaky: pairs('3:0.3').refine((v) => !v || perNode(v).every(([, share]) => share <= 1), 'shares are at most 1'),
  busy: pairs('4:5 or 4:0.5').refine((v) => !v || perNode(v).every(([, n]) => n < 1 || Number.isInteger(n)), 'a count of requests, or a share below 1'),
  dir: z.string(),
});

/** "3:1,5:0.5" as [[3, 1], [5, 0.5]]. */
function perNode(list: string | undefined): [number, number][] {
  return (list?.split(',') ?? []).map((pair) => pair.split(':').map(Number) as [number, number]);
}

// Ctrl-C makes npm exit at once, handing the terminal back while this process still tears the
// rack down; a terminal closed then sends SIGHUP. Every one of these starts the teardown, and
// the handlers stay installed so that later ones cannot end the process halfway through it.
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const DEFAULT_DIR = path.resolve('data', 'sim');

async function main(): Promise<number> {
  if (process.argv[2] === 'change') return changeCommand(process.argv.slice(3), DEFAULT_DIR);
  let stopRequested!: (signal: NodeJS.Signals) => void;
  const stopping = new Promise<NodeJS.Signals>((resolve) => (stopRequested = resolve));
  for (const signal of STOP_SIGNALS) process.on(signal, () => stopRequested(signal));
  // After SIGHUP the terminal is gone: writing to it must not end the teardown either.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

  const program = new Command('sim')
    .description('bring up a simulated rack (IPMI or Redfish BMCs + agents) and enroll it')
    .option('--count <n>', 'nodes', '8')
    .option('--prefix <letters>', 'node name prefix', 'sim')
    .option('--net <n>', 'second octet of the BMC addresses 127.0.N.x', '60')
    .option('--inspector-port <port>', 'where nodes fetch their boot script and agents call back', '5050')
    .option('--node-url <url>', 'node API to enroll into', 'http://127.0.0.1:6385')
    .option('--rack <label>', 'extra.rack of the enrolled nodes', 'sim')
    .option('--boot-delay <seconds>', 'time from power on to PXE', '0')
    .option('--power-delay <seconds>', 'time a power change takes to reach the chassis', '1')
    .option('--boot-override-expiry <seconds>', 'IPMI: a boot override no boot used expires after this (0: never)', '60')
    .option('--fail-boots <list>', 'node:PXE boots that start nothing, e.g. 3:1,5:100')
    .option('--wrong-password <list>', 'nodes enrolled with a password their BMC refuses, e.g. 4')
    .option('--redfish <list>', 'nodes with a Redfish BMC instead of IPMI, e.g. 3,4, or all')
    .option('--slow <list>', 'node:milliseconds every BMC request takes more, e.g. 2:500')
    .option('--flaky <list>', 'node:share of BMC requests lost, e.g. 3:0.3')
    .option('--busy <list>', 'node:N first BMC requests refused busy, or node:share of them, e.g. 4:5,6:0.5')
    .option('--dir <path>', 'state and logs', DEFAULT_DIR)
    .addHelpText('after', '\nChanging a node\'s hardware (at its next boot): sim change NODE remove-dimm LOCATOR | replace-disk DISK | move-cable PORT [SWITCH] | show')
    .parse();
  const parsed = Options.safeParse(program.opts());
  if (!parsed.success) {
    console.error(parsed.error.issues.map((i) => `--${String(i.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${i.message}`).join('\n'));
    return 2;
  }
  const o = parsed.data;
  const byNode = (list: string | undefined) => Object.fromEntries(perNode(list));
  const wrong = new Set((o.wrongPassword?.split(',') ?? []).map(Number));
  const headers = { 'content-type': 'application/json', ...authHeaders(resolveCredentials(process.env)) };
  const post = async (what: string, route: string, body: unknown) => {
    const res = await fetch(`${o.nodeUrl}${route}`, { method: 'POST', headers, body: JSON.stringify(body) });
    if (res.ok) return res.json();
    const hint = res.status === 401 ? `; ${credentialsHint(process.env)}` : res.status === 403 ? '; enrolling needs the admin role' : '';
    throw new Error(`${what}: ${res.status} ${await res.text()}${hint}`);
  };
  const rack = await SimRack.start({
    dir: path.resolve(o.dir),
    count: o.count,
    prefix: o.prefix,
    net: o.net,
    inspectorPort: o.inspectorPort,
    bootDelaySeconds: o.bootDelay,
    powerDelaySeconds: o.powerDelay,
    bootOverrideExpirySeconds: o.bootOverrideExpiry,
    failBoots: byNode(o.failBoots),
    redfish: o.redfish === 'all' ? 'all' : o.redfish?.split(',').map(Number),
    slow: byNode(o.slow),
    flaky: byNode(o.flaky),
    busy: byNode(o.busy),
    boards: true,
  });
  try {
    for (const node of rack.nodes) {
      const { uuid } = (await post(`enrolling ${node.name}`, '/v1/nodes', {
        name: node.name,
        ...driverFor(node, wrong.has(node.index) ? 'not-the-password' : node.password),
        extra: { rack: o.rack },
      })) as { uuid: string };
      await post(`port of ${node.name}`, '/v1/ports', { node_uuid: uuid, address: node.mac });
      const bmc = node.bmc === 'redfish' ? `Redfish http://${node.bmcAddress}:${node.bmcPort}` : `IPMI ${node.bmcAddress}:${node.bmcPort}`;
      console.log(`${node.name}  BMC ${bmc}  MAC ${node.mac}  ${node.netns ? `netns ${node.netns}` : 'host network'}`);
    }
    console.log(`\n${o.count} nodes enrolled in rack "${o.rack}". Try: npx introspector introspection bulk start --rack ${o.rack}`);
    const dirFlag = path.resolve(o.dir) === DEFAULT_DIR ? '' : ` --dir ${o.dir}`;
    console.log(`Change a node's hardware (at its next boot): npm run sim -- change ${rack.nodes[0].name} remove-dimm B1${dirFlag}   (or replace-disk sdb, move-cable Ethernet1/14, show)`);
    console.log('Press Ctrl-C to tear the rack down (the nodes stay enrolled).');
    console.log(`${await stopping}: tearing the rack down...`);
  } finally {
    await rack.stop();
  }
  console.log('rack removed');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);

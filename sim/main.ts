// `npm run sim -- --count 8`: a simulated rack beside a running `npm start`, enrolled through
// the node API, until Ctrl-C. Failure injection: --fail-boots 3:1,5:100 (node:boots that
// start nothing), --wrong-password 4 (node 4 enrolled with a password its BMC refuses).
// Credentials for the node API as for the CLI: INTROSPECTOR_USERNAME/INTROSPECTOR_PASSWORD,
// else the admin password file of `npm start`.
import path from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { authHeaders, credentialsHint, resolveCredentials } from '../cli/credentials';
import { ipmiDriverInfo, SimRack } from './rack';

const Options = z.object({
  count: z.coerce.number().int().min(1).max(200),
  prefix: z.string().regex(/^[a-z]{1,5}$/, 'letters only, at most 5'),
  net: z.coerce.number().int().min(1).max(254),
  inspectorPort: z.coerce.number().int().min(1).max(65535),
  nodeUrl: z.url(),
  rack: z.string().min(1),
  bootDelay: z.coerce.number().min(0).max(600),
  failBoots: z.string().regex(/^(\d+:\d+)(,\d+:\d+)*$/, 'like 3:1,5:100').optional(),
  wrongPassword: z.string().regex(/^\d+(,\d+)*$/, 'node numbers like 4,7').optional(),
  dir: z.string(),
});

async function main() {
  const program = new Command('sim')
    .description('bring up a simulated rack (ipmi_sim BMCs + agents) and enroll it')
    .option('--count <n>', 'nodes', '8')
    .option('--prefix <letters>', 'node name prefix', 'sim')
    .option('--net <n>', 'second octet of the BMC addresses 127.0.N.x', '60')
    .option('--inspector-port <port>', 'where nodes fetch their boot script and agents call back', '5050')
    .option('--node-url <url>', 'node API to enroll into', 'http://127.0.0.1:6385')
    .option('--rack <label>', 'extra.rack of the enrolled nodes', 'sim')
    .option('--boot-delay <seconds>', 'time from power on to PXE', '0')
    .option('--fail-boots <list>', 'node:boots that start nothing, e.g. 3:1,5:100')
    .option('--wrong-password <list>', 'nodes enrolled with a password their BMC refuses, e.g. 4')
    .option('--dir <path>', 'state and logs', path.resolve('data', 'sim'))
    .parse();
  const parsed = Options.safeParse(program.opts());
  if (!parsed.success) {
    console.error(parsed.error.issues.map((i) => `--${String(i.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${i.message}`).join('\n'));
    process.exit(2);
  }
  const o = parsed.data;
  const failBoots = Object.fromEntries((o.failBoots?.split(',') ?? []).map((pair) => pair.split(':').map(Number)));
  const wrong = new Set((o.wrongPassword?.split(',') ?? []).map(Number));
  const headers = { 'content-type': 'application/json', ...authHeaders(resolveCredentials(process.env)) };
  const post = async (what: string, route: string, body: unknown) => {
    const res = await fetch(`${o.nodeUrl}${route}`, { method: 'POST', headers, body: JSON.stringify(body) });
    if (res.ok) return res.json();
    const hint = res.status === 401 ? `; ${credentialsHint(process.env)}` : res.status === 403 ? '; enrolling needs the admin role' : '';
    throw new Error(`${what}: ${res.status} ${await res.text()}${hint}`);
  };
  const rack = await SimRack.start({
    dir: o.dir, count: o.count, prefix: o.prefix, net: o.net, inspectorPort: o.inspectorPort, bootDelaySeconds: o.bootDelay, failBoots,
  });
  try {
    for (const node of rack.nodes) {
      const { uuid } = (await post(`enrolling ${node.name}`, '/v1/nodes', {
        name: node.name,
        driver: 'ipmi',
        driver_info: ipmiDriverInfo(node, wrong.has(node.index) ? 'not-the-password' : node.password),
        extra: { rack: o.rack },
      })) as { uuid: string };
      await post(`port of ${node.name}`, '/v1/ports', { node_uuid: uuid, address: node.mac });
      console.log(`${node.name}  BMC ${node.bmcAddress}:${node.bmcPort}  MAC ${node.mac}  ${node.netns ? `netns ${node.netns}` : 'host network'}`);
    }
    console.log(`\n${o.count} nodes enrolled in rack "${o.rack}". Try: npx introspector introspection bulk start --rack ${o.rack}`);
    console.log('Press Ctrl-C to tear the rack down (the nodes stay enrolled).');
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  } finally {
    await rack.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});

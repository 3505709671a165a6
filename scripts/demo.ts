// `npm run demo`: the stack, an 8-node simulated rack, a bulk introspection with the CLI's
// progress bar and a table of the discovered hardware; then a technician changes three servers
// (a DIMM pulled, a disk swapped, a cable moved), the rack is introspected again, and the demo
// shows what changed (`introspection diff`) and the rack's acceptance report against the
// hardware profile and cabling plan it wrote (`report --bulk`), then the Temporal UI link.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { main as cli } from '../cli/main';
import { renderTable } from '../cli/format';
import { loadConfig } from '../common/config';
import { changeNode } from '../sim/change';
import type { Change } from '../sim/hardware';
import { SimRack } from '../sim/rack';
import { startStack } from './stack';
import { basicAuthorization } from '../cli/credentials';

const NODES = 8;
const RACK = 'demo';
/** What was ordered for the rack: every node as the simulator delivers it (sim/hardware.ts). */
const PROFILE = {
  name: 'demo rack as ordered',
  match: { rack: RACK },
  memory: { exact_mib: 8 * 16384 },
  disks: { count: 2, min_size_gib: 400 },
  nics: { count: 1 },
  firmware: { bios_min: '2.17' },
};
/** The technician's visit between the two runs: node index and change. */
const CHANGES: [number, Change][] = [
  [3, { op: 'remove-dimm', locator: 'B1' }],
  [5, { op: 'replace-disk', disk: 'sdb' }],
  [6, { op: 'move-cable', port: 'Ethernet1/14' }],
];

/** The profile and the cabling plan (each node's eth0 on the port of its number), where the worker reads them. */
function writeAcceptanceFiles(dir: string): { ACCEPTANCE_PROFILES_DIR: string; CABLING_PLAN_FILE: string } {
  const profiles = path.join(dir, 'profiles');
  fs.mkdirSync(profiles, { recursive: true });
  fs.writeFileSync(path.join(profiles, 'demo-rack.json'), `${JSON.stringify(PROFILE, null, 2)}\n`);
  const plan = path.join(dir, 'cabling-plan.csv');
  const rows = Array.from({ length: NODES }, (_, i) => `${RACK}-node-${String(i + 1).padStart(2, '0')},eth0,leaf-${RACK},Ethernet1/${i + 1}`);
  fs.writeFileSync(plan, ['node,nic,switch,port', ...rows, ''].join('\n'));
  return { ACCEPTANCE_PROFILES_DIR: profiles, CABLING_PLAN_FILE: plan };
}

// The demo's own admin, handed to its CLI calls the way an operator sets them.
const admin = { INTROSPECTOR_USERNAME: 'admin', INTROSPECTOR_PASSWORD: randomBytes(18).toString('base64url') };
const authorization = basicAuthorization({ username: admin.INTROSPECTOR_USERNAME, password: admin.INTROSPECTOR_PASSWORD });

async function getJson(url: string): Promise<any> {
  const res = await fetch(url, { headers: { authorization } });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function demo(): Promise<number> {
  const dataDir = path.resolve(process.env.INTROSPECTOR_DATA_DIR ?? path.join('data', 'demo'));
  fs.rmSync(dataDir, { recursive: true, force: true }); // every demo starts from an empty rack
  const config = loadConfig({
    ...process.env,
    INTROSPECTOR_DATA_DIR: dataDir,
    INTROSPECTOR_ADMIN_PASSWORD: admin.INTROSPECTOR_PASSWORD,
    // The DIMMs (dmidecode) and the switch ports (LLDP) too, for the diff and the cabling plan.
    AGENT_COLLECTORS: 'default,extra-hardware,pci-devices,numa-topology,dmi-decode,lldp,logs',
    ...writeAcceptanceFiles(path.join(dataDir, 'acceptance')),
  });
  Object.assign(process.env, admin);
  console.log('starting Temporal, versitygw, the API and a worker...');
  const stack = await startStack(config, { uiPort: config.TEMPORAL_UI_PORT, quiet: true });
  let rack: SimRack | undefined;
  const stop = async () => {
    await rack?.stop();
    await stack.stop();
  };
  try {
    console.log(`bringing up ${NODES} simulated servers (ipmi_sim BMCs, agents in network namespaces)...`);
    rack = await SimRack.start({ dir: path.join(dataDir, 'rack'), count: NODES, prefix: RACK, net: 50, inspectorPort: stack.api.callbackPort, boards: true });
    const urls = ['--inspector-url', stack.inspectorUrl, '--node-url', stack.nodeUrl];
    for (const node of rack.nodes) {
      const code = await cli(
        [...urls, 'node', 'create', '--name', node.name, '--driver', 'ipmi', '--ipmi-address', node.bmcAddress, '--ipmi-port', String(node.bmcPort),
          '--ipmi-username', node.username, '--ipmi-password-env', 'DEMO_IPMI_PASSWORD', '--mac', node.mac, '--extra', `rack=${RACK}`],
        { env: { ...process.env, DEMO_IPMI_PASSWORD: node.password }, stdout: { write: () => true } },
      );
      if (code !== 0) throw new Error(`enrolling ${node.name} failed`);
    }
    console.log(`enrolled ${NODES} nodes; introspecting the rack, 4 at a time:\n`);
    const bulk = ['introspection', 'bulk', 'start', '--rack', RACK, '--concurrency', '4'];
    const code = await cli([...urls, ...bulk]);

    const nodes = ((await getJson(`${stack.nodeUrl}/v1/nodes/detail`)).nodes as any[]).sort((a, b) => a.name.localeCompare(b.name));
    const rows = [];
    for (const n of nodes) {
      const ports = (await getJson(`${stack.nodeUrl}/v1/nodes/${n.uuid}/ports/detail`)).ports as any[];
      const p = n.properties;
      rows.push([n.name, n.driver_info.ipmi_address, ports.map((x) => x.address).join(' '), p.cpus, p.cpu_arch, p.memory_mb, p.local_gb, p.capabilities, n.provision_state]);
    }
    console.log(`\nDiscovered hardware:\n${renderTable(['node', 'BMC', 'MACs', 'cpus', 'arch', 'memory_mb', 'local_gb', 'capabilities', 'state'], rows)}`);

    console.log('\nA technician works on the rack (`npm run sim -- change NODE ...` does the same to a `npm run sim` rack):');
    for (const [index, change] of CHANGES) {
      const node = rack.nodes[index - 1];
      console.log(`  ${node.name}: ${changeNode(node.dir, change)}`);
    }
    console.log('\nintrospecting the rack again, as one bulk run:\n');
    const again = await cli([...urls, ...bulk]);
    const bulkId = (await getJson(`${stack.inspectorUrl}/v1/introspection/bulk?limit=1`)).bulks[0].bulk_id as string;
    for (const [index] of CHANGES) {
      const name = rack.nodes[index - 1].name;
      console.log(`\n$ introspector introspection diff ${name}`);
      await cli([...urls, 'introspection', 'diff', name]);
    }
    console.log(`\n$ introspector report --bulk ${bulkId}`);
    await cli([...urls, 'report', '--bulk', bulkId]); // exits 1: the rack does not conform, which is what it shows
    console.log(`\nTemporal UI: http://127.0.0.1:${config.TEMPORAL_UI_PORT}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows`);
    console.log(`Inspector API: ${stack.inspectorUrl}   node API: ${stack.nodeUrl}`);
    if (process.stdin.isTTY) {
      console.log('Everything keeps running so you can look around. Press Ctrl-C to stop.');
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
    return Math.max(code, again);
  } finally {
    console.log('stopping...');
    await stop();
  }
}

demo().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);

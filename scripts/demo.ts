// `npm run demo`: the stack, an 8-node simulated rack, a bulk introspection with the CLI's
// progress bar, then the Temporal UI link and a table of the discovered hardware.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { main as cli } from '../cli/main';
import { renderTable } from '../cli/format';
import { loadConfig } from '../common/config';
import { SimRack } from '../sim/rack';
import { startStack } from './stack';
import { basicAuthorization } from '../cli/credentials';

const NODES = 8;

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
  const config = loadConfig({ ...process.env, INTROSPECTOR_DATA_DIR: dataDir, INTROSPECTOR_ADMIN_PASSWORD: admin.INTROSPECTOR_PASSWORD });
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
    rack = await SimRack.start({ dir: path.join(dataDir, 'rack'), count: NODES, prefix: 'demo', net: 50, inspectorPort: stack.api.callbackPort });
    const urls = ['--inspector-url', stack.inspectorUrl, '--node-url', stack.nodeUrl];
    for (const node of rack.nodes) {
      const code = await cli(
        [...urls, 'node', 'create', '--name', node.name, '--driver', 'ipmi', '--ipmi-address', node.bmcAddress, '--ipmi-port', String(node.bmcPort),
          '--ipmi-username', node.username, '--ipmi-password-env', 'DEMO_IPMI_PASSWORD', '--mac', node.mac, '--extra', 'rack=demo'],
        { env: { ...process.env, DEMO_IPMI_PASSWORD: node.password }, stdout: { write: () => true } },
      );
      if (code !== 0) throw new Error(`enrolling ${node.name} failed`);
    }
    console.log(`enrolled ${NODES} nodes; introspecting the rack, 4 at a time:\n`);
    const code = await cli([...urls, 'introspection', 'bulk', 'start', '--rack', 'demo', '--concurrency', '4']);

    const nodes = ((await getJson(`${stack.nodeUrl}/v1/nodes/detail`)).nodes as any[]).sort((a, b) => a.name.localeCompare(b.name));
    const rows = [];
    for (const n of nodes) {
      const ports = (await getJson(`${stack.nodeUrl}/v1/nodes/${n.uuid}/ports/detail`)).ports as any[];
      const p = n.properties;
      rows.push([n.name, n.driver_info.ipmi_address, ports.map((x) => x.address).join(' '), p.cpus, p.cpu_arch, p.memory_mb, p.local_gb, p.capabilities, n.provision_state]);
    }
    console.log(`\nDiscovered hardware:\n${renderTable(['node', 'BMC', 'MACs', 'cpus', 'arch', 'memory_mb', 'local_gb', 'capabilities', 'state'], rows)}`);
    console.log(`\nTemporal UI: http://127.0.0.1:${config.TEMPORAL_UI_PORT}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows`);
    console.log(`Inspector API: ${stack.inspectorUrl}   node API: ${stack.nodeUrl}`);
    if (process.stdin.isTTY) {
      console.log('Everything keeps running so you can look around. Press Ctrl-C to stop.');
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
    return code;
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

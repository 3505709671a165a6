import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fakeAgentPayload } from '../../scripts/fake-agent';
import { ensureIronicInspector, startIronicInspector, type RunningIronicInspector } from '../../scripts/ironic-inspector/ironic-inspector';
import type { SimNode } from '../../sim/rack';
import { enrollSimNode, startStackWithRack, type StackWithRack } from '../support/rack';
import { ADMIN, http as call, waitFor } from '../support/stack';

// The real ironic-inspector (Debian 12's 11.1) with its default settings — manage_boot, the
// default hooks plus local_link_connection, add_ports pxe (its default) and all — with
// Introspector's node API as its Ironic, against simulated IPMI nodes: it validates the node,
// sets the boot device and reboots it through the node API (BMC commands run by the node-power
// workflow), the test plays the ramdisk by posting the agent's data to its /v1/continue, and it
// creates ports, sets their local_link_connection and powers the node off, all through the node
// API. Every call it makes goes through a recording proxy: none may fail.

const BASE_PORT = 19423;
const IRONIC_INSPECTOR_PORT = 19443;
const RECORDING_PROXY_PORT = 19444;
const hasInspector = fs.existsSync('/usr/bin/python3');
const describeIfPython = hasInspector ? describe : describe.skip;

interface Call {
  method: string;
  path: string;
  status: number;
}

/** Forwards to the node API, keeping method, path and status of every request. */
function recordingProxy(port: number, target: string, calls: Call[]): Promise<http.Server> {
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const forwarded = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        calls.push({ method: req.method!, path: req.url!, status: answer.statusCode! });
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  return new Promise((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve(server)));
}

/** A second NIC's MAC for the node: its own, with the first octet's local bit kept. */
const secondMac = (node: SimNode) => node.mac.replace(/^52:54:00/, '52:54:01');

/** What IPA posts for the node: two NICs with LLDP (from the fixture), the first the one it PXE-booted from. */
function agentPayload(node: SimNode) {
  const data = fakeAgentPayload(node.mac);
  const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'hooks', 'ipa-payload.json'), 'utf8'));
  const [first, second] = fixture.inventory.interfaces;
  data.inventory.interfaces = [
    { ...first, name: 'eth0', mac_address: node.mac },
    { ...second, name: 'eth1', mac_address: secondMac(node) },
  ];
  data.inventory.boot.pxe_interface = node.mac;
  const disks = (data.inventory.disks as { size: number }[]).filter((d) => d.size >= 4 * 2 ** 30);
  data.root_disk = disks.reduce((a, b) => (b.size < a.size ? b : a));
  return data;
}

describeIfPython('the real ironic-inspector with its default settings against the node API', () => {
  let env: StackWithRack;
  let proxy: http.Server;
  const calls: Call[] = [];

  beforeAll(async () => {
    ensureIronicInspector();
    // Power changes take 3 s on the chassis: long enough to see target_power_state meanwhile.
    env = await startStackWithRack(BASE_PORT, {}, { count: 2, prefix: 'iid', net: 95, powerDelaySeconds: 3 });
    proxy = await recordingProxy(RECORDING_PROXY_PORT, env.stack.nodeUrl, calls);
    for (const node of env.rack.nodes) {
      await enrollSimNode(env.stack, node, { port: true });
      expect((await call('PUT', `${env.stack.nodeUrl}/v1/nodes/${node.name}/states/provision`, { target: 'manage' })).status).toBe(202);
      await waitFor(`${node.name} to be manageable`, async () => ((await call('GET', `${env.stack.nodeUrl}/v1/nodes/${node.name}`)).body.provision_state === 'manageable' ? true : undefined), 60000);
    }
  }, 600000);

  afterAll(async () => {
    await new Promise((resolve) => proxy?.close(resolve));
    await env?.stop();
  });

  test.each([
    ['pxe', 0],
    ['all', 1],
  ] as const)(
    'add_ports=%s: boot device, reboot, ports, local_link_connection, power off',
    async (addPorts, index) => {
      const node = env.rack.nodes[index];
      const { stack } = env;
      const shown = async () => (await call('GET', `${stack.nodeUrl}/v1/nodes/${node.name}`)).body;
      const uuid = (await shown()).uuid;
      let inspector: RunningIronicInspector | undefined;
      calls.length = 0;
      try {
        inspector = await startIronicInspector({
          dir: path.join(stack.dataDir, `ironic-inspector-${addPorts}`),
          port: IRONIC_INSPECTOR_PORT,
          ironicUrl: `http://127.0.0.1:${RECORDING_PROXY_PORT}`,
          ironicUser: { username: ADMIN.user, password: ADMIN.password },
          processingHooks: ['$default_processing_hooks', 'local_link_connection'],
          storeData: 'none',
          manageBoot: true,
          addPorts,
        });
        const status = async () => (await call('GET', `${inspector!.url}/v1/introspection/${uuid}`, undefined, { auth: null })).body;

        const validated = (await call('GET', `${stack.nodeUrl}/v1/nodes/${uuid}/validate`)).body;
        expect(validated).toMatchObject({ power: { result: true, reason: null }, management: { result: true, reason: null } });

        const started = await call('POST', `${inspector.url}/v1/introspection/${uuid}`, undefined, { auth: null });
        expect(started.status).toBe(202);

        // While the reboot runs the node shows where it is going, as Ironic does.
        const target = await waitFor(`${node.name}'s target_power_state`, async () => (await shown()).target_power_state ?? undefined, 30000, 100);
        expect(target).toBe('power on');
        // a second request meanwhile is refused, as Ironic refuses one for a locked node
        const second = await call('PUT', `${stack.nodeUrl}/v1/nodes/${uuid}/states/power`, { target: 'power off' });
        expect(second.status).toBe(409);
        expect(JSON.parse(second.body.error_message).faultstring).toMatch(/is locked by a power or boot device request in progress/);
        // power_state once the BMC confirmed it, then no target any more
        await waitFor(`${node.name} to be on`, async () => {
          const n = await shown();
          return env.rack.powerState(node) === 'on' && n.power_state === 'power on' && n.target_power_state === null ? true : undefined;
        }, 30000);
        // On the BMC: the one-time PXE override, then power on, and the node booted from the network.
        const chassisLog = fs.readFileSync(path.join(node.dir, 'chassis.log'), 'utf8');
        const pxeAt = chassisLog.lastIndexOf('boot device pxe (next boot only)');
        expect(pxeAt).toBeGreaterThan(-1);
        expect(chassisLog.indexOf('power 1\n', pxeAt)).toBeGreaterThan(pxeAt);
        expect(chassisLog.indexOf('firmware started', pxeAt)).toBeGreaterThan(pxeAt);
        await waitFor(`ironic-inspector to wait for ${node.name}'s ramdisk`, async () => ((await status()).state === 'waiting' ? true : undefined), 30000);

        const posted = await call('POST', `${inspector.url}/v1/continue`, agentPayload(node), { auth: null });
        expect(posted.status).toBe(200);
        const ended = await waitFor(`ironic-inspector to finish ${node.name}`, async () => {
          const s = await status();
          return s.finished ? s : undefined;
        }, 60000);
        expect(ended).toMatchObject({ state: 'finished', error: null });

        // ironic-inspector powers the node off at the end (processing power_off), through the node API.
        const after = await waitFor(`${node.name} to be off`, async () => {
          const n = await shown();
          return env.rack.powerState(node) === 'off' && n.power_state === 'power off' && n.target_power_state === null ? n : undefined;
        }, 30000);
        // ironic-inspector 11.1's scheduler hook writes them as strings
        const count = expect.stringMatching(/^[1-9][0-9]*$/);
        expect(after.properties).toMatchObject({ memory_mb: count, cpus: count, local_gb: count });

        const ports = (await call('GET', `${stack.nodeUrl}/v1/nodes/${uuid}/ports/detail`)).body.ports;
        const byMac = Object.fromEntries(ports.map((p: { address: string }) => [p.address, p]));
        expect(Object.keys(byMac).sort()).toEqual(addPorts === 'all' ? [node.mac, secondMac(node)].sort() : [node.mac]);
        expect(byMac[node.mac]).toMatchObject({ pxe_enabled: true, local_link_connection: { switch_id: '64:1e:81:f4:1a:20', port_id: 'Ethernet1/7' } });
        if (addPorts === 'all') {
          expect(byMac[secondMac(node)]).toMatchObject({ pxe_enabled: false, extra: {}, local_link_connection: { switch_id: '64:1e:81:f4:1a:21', port_id: 'Ethernet1/8' } });
        }

        const asked = calls.map((c) => `${c.method} ${c.path.split('?')[0].replace(uuid, '<node>')}`);
        expect(asked).toEqual(expect.arrayContaining(['GET /v1/nodes/<node>/validate', 'PUT /v1/nodes/<node>/management/boot_device', 'PUT /v1/nodes/<node>/states/power']));
        if (addPorts === 'all') expect(asked).toContain('POST /v1/ports');
        expect(calls.filter((c) => c.status >= 400)).toEqual([]);
      } finally {
        await inspector?.stop();
      }
    },
    240000,
  );
});

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { installRedfishEmulator, writeHtpasswd } from '../../sim/redfish';
import { historyTexts } from '../support/histories';
import { http, introspectionEnded, startStack, waitFor, type Stack } from '../support/stack';

// Out-of-band inspection (inspect_interface redfish) against sushy-tools, whose systems here come
// from libvirt's test:/// hypervisor (in-process, no daemon): unlike its fake driver, that one
// reports processors, memory and a boot mode. Storage and drives come from the emulator's own
// static config. Every expected value is read from the emulator.

const BASE_PORT = 19483; // Temporal 19483-19485, S3 19493
const BMC_PORT = 19501;
const SYSTEM_ID = '5b1e9a4c-0f3e-4d6a-9b2c-97000000a097';
const SYSTEM = `/redfish/v1/Systems/${SYSTEM_ID}`;
const USER = 'admin';
const PASSWORD = 'Oob-Secret-97';
const GiB = 1024 ** 3;
const run = promisify(execFile);

const DOMAIN = `<node>
  <domain type='test'>
    <name>oob-97</name>
    <uuid>${SYSTEM_ID}</uuid>
    <memory unit='KiB'>12582912</memory>
    <vcpu>6</vcpu>
    <os><type arch='x86_64'>hvm</type><loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader><boot dev='hd'/></os>
    <cpu><model>Westmere</model><vendor>Intel</vendor><topology sockets='1' cores='1' threads='2'/></cpu>
    <devices>
      <disk type='volume' device='disk'><source pool='pool97' volume='root.img'/><target dev='vda' bus='virtio'/></disk>
      <interface type='network'><mac address='52:54:00:97:00:01'/><source network='default'/></interface>
      <interface type='network'><mac address='52:54:00:97:00:02'/><source network='default'/></interface>
    </devices>
  </domain>
  <pool type='dir'>
    <name>pool97</name>
    <uuid>5b1e9a4c-0f3e-4d6a-9b2c-97000000b097</uuid>
    <capacity unit='GiB'>100</capacity><allocation unit='GiB'>0</allocation><available unit='GiB'>100</available>
    <target><path>/pool97</path></target>
    <volume type='file'><name>root.img</name><capacity unit='GiB'>20</capacity><allocation unit='GiB'>0</allocation><target><path>/pool97/root.img</path></target></volume>
  </pool>
</node>
`;

/** sushy-emulator on libvirt's test driver: its Python libvirt binding is Debian's, linked in alone (not Debian's Flask). */
async function startEmulator(dir: string): Promise<ChildProcess> {
  await run('bash', ['-c', 'say() { echo "$*" >&2; }; source scripts/lib/apt.sh; apt_install python3-libvirt'], { cwd: path.resolve(__dirname, '..', '..'), timeout: 300000 });
  const emulator = await installRedfishEmulator();
  const lib = path.join(dir, 'pylib');
  fs.mkdirSync(lib);
  const dist = '/usr/lib/python3/dist-packages';
  for (const file of fs.readdirSync(dist).filter((f) => f === 'libvirt.py' || f.startsWith('libvirtmod.'))) fs.symlinkSync(path.join(dist, file), path.join(lib, file));
  fs.writeFileSync(path.join(dir, 'node.xml'), DOMAIN);
  await writeHtpasswd(path.join(path.dirname(emulator), 'python'), path.join(dir, 'htpasswd'), USER, PASSWORD);
  const drives = [
    { Id: '97ADF365C6C1B7BD', Name: 'Drive 97-0', CapacityBytes: 899527000000, Protocol: 'SAS' },
    { Id: '97CFF987G8H1M6N7', Name: 'Drive 97-1', CapacityBytes: 240057409536, Protocol: 'SATA' },
  ];
  const config = [
    `SUSHY_EMULATOR_LISTEN_IP = '127.0.0.1'`,
    `SUSHY_EMULATOR_LISTEN_PORT = ${BMC_PORT}`,
    `SUSHY_EMULATOR_LIBVIRT_URI = 'test://${path.join(dir, 'node.xml')}'`,
    `SUSHY_EMULATOR_AUTH_FILE = ${JSON.stringify(path.join(dir, 'htpasswd'))}`,
    `SUSHY_EMULATOR_STORAGE = {'${SYSTEM_ID}': [{'Id': '1', 'Name': 'Local Storage Controller', 'StorageControllers': [{'MemberId': '0', 'Name': 'RAID', 'SpeedGbps': 12}], 'Drives': ${JSON.stringify(drives.map((d) => d.Id))}}]}`,
    `SUSHY_EMULATOR_DRIVES = {('${SYSTEM_ID}', '1'): ${JSON.stringify(drives)}}`,
  ];
  fs.writeFileSync(path.join(dir, 'emulator.conf'), `${config.join('\n')}\n`);
  const log = fs.openSync(path.join(dir, 'emulator.log'), 'w');
  const child = spawn(emulator, ['--config', path.join(dir, 'emulator.conf')], { stdio: ['ignore', log, log], env: { PATH: process.env.PATH, PYTHONPATH: lib, PYTHONUNBUFFERED: '1' } });
  fs.closeSync(log);
  await waitFor('sushy-emulator to answer', async () => ((await bmcGet(SYSTEM).catch(() => undefined)) ? true : undefined), 30000);
  return child;
}

async function bmcGet(p: string): Promise<any> {
  const res = await fetch(`http://127.0.0.1:${BMC_PORT}${p}`, {
    headers: { Authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` },
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) throw new Error(`GET ${p}: HTTP ${res.status}`);
  return res.json();
}
const members = async (p: string) => Promise.all(((await bmcGet(p)).Members as { '@odata.id': string }[]).map((m) => bmcGet(m['@odata.id'])));

let stack: Stack;
let dir: string;
let emulator: ChildProcess | undefined;
/** The methods and paths the emulator was asked for, from its access log. */
const requests = () => [...fs.readFileSync(path.join(dir, 'emulator.log'), 'utf8').matchAll(/"(GET|POST|PATCH|PUT|DELETE) (\S+) HTTP/g)].map((m) => `${m[1]} ${m[2]}`);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redfish-inspection-'));
  emulator = await startEmulator(dir);
  stack = await startStack(BASE_PORT);
}, 600000);
afterAll(async () => {
  await stack?.stop();
  emulator?.kill('SIGTERM');
});

const driverInfo = { redfish_address: `http://127.0.0.1:${BMC_PORT}`, redfish_system_id: SYSTEM_ID, redfish_username: USER, redfish_password: PASSWORD };

async function enrollManageable(name: string): Promise<any> {
  const created = await http('POST', `${stack.nodeUrl}/v1/nodes`, { name, driver: 'redfish', driver_info: driverInfo, inspect_interface: 'redfish' });
  expect(created.status).toBe(201);
  expect(created.body.inspect_interface).toBe('redfish');
  expect((await http('PUT', `${stack.nodeUrl}/v1/nodes/${name}/states/provision`, { target: 'manage' })).status).toBe(202);
  return waitFor(`${name} to be manageable`, async () => {
    const node = (await http('GET', `${stack.nodeUrl}/v1/nodes/${name}`)).body;
    return node.provision_state === 'manageable' ? node : undefined;
  }, 60000);
}

test('inspect_interface is validated on create and PATCH: agent or redfish, redfish only with driver redfish', async () => {
  const fake = await http('POST', `${stack.nodeUrl}/v1/nodes`, { name: 'oob-fake', driver: 'fake', inspect_interface: 'redfish' });
  expect(fake.status).toBe(400);
  expect(JSON.stringify(fake.body)).toContain('inspect_interface');
  expect((await http('POST', `${stack.nodeUrl}/v1/nodes`, { name: 'oob-bogus', driver: 'redfish', driver_info: driverInfo, inspect_interface: 'ipmi' })).status).toBe(400);
  const agent = await http('POST', `${stack.nodeUrl}/v1/nodes`, { name: 'oob-default', driver: 'redfish', driver_info: driverInfo });
  expect(agent.body.inspect_interface).toBe('agent');
  const patched = await http('PATCH', `${stack.nodeUrl}/v1/nodes/oob-default`, [{ op: 'replace', path: '/inspect_interface', value: 'redfish' }]);
  expect(patched.status).toBe(200);
  expect(patched.body.inspect_interface).toBe('redfish');
  const toFake = await http('PATCH', `${stack.nodeUrl}/v1/nodes/oob-default`, [{ op: 'replace', path: '/driver', value: 'fake' }]);
  expect(toFake.status).toBe(400);
  expect(JSON.stringify(toFake.body)).toContain('inspect_interface');
  expect((await http('PATCH', `${stack.nodeUrl}/v1/nodes/oob-default`, [{ op: 'remove', path: '/inspect_interface' }])).body.inspect_interface).toBe('agent');
});

test('a redfish node is inspected from its BMC without a boot: what the emulator reports becomes its data, properties and ports', async () => {
  const before = await enrollManageable('oob-97');
  const asked = requests().length;

  expect((await http('POST', `${stack.inspectorUrl}/v1/introspection/oob-97`)).status).toBe(202);
  const status = await introspectionEnded(stack, 'oob-97', 60000);
  expect(status).toMatchObject({ state: 'finished', error: null, boot_phase: null });

  // What the BMC says, read here on its own.
  const system = await bmcGet(SYSTEM);
  const processors = await members(`${SYSTEM}/Processors`);
  const drives = (await members(`${SYSTEM}/Storage`)).flatMap((s) => s.Drives);
  const disks = await Promise.all(drives.map((d: { '@odata.id': string }) => bmcGet(d['@odata.id'])));
  const nics = await members(`${SYSTEM}/EthernetInterfaces`);
  expect(processors[0].InstructionSet).toBe('x86-64');
  const rootSize = Math.min(...disks.map((d) => d.CapacityBytes).filter((size: number) => size >= 4 * GiB));

  const node = (await http('GET', `${stack.nodeUrl}/v1/nodes/oob-97`)).body;
  expect(node.properties).toMatchObject({
    cpus: processors.reduce((sum, p) => sum + Number(p.TotalThreads), 0),
    cpu_arch: 'x86_64',
    memory_mb: system.MemorySummary.TotalSystemMemoryGiB * 1024,
    local_gb: Math.floor(rootSize / GiB) - 1,
    capabilities: expect.stringContaining(`boot_mode:${system.Boot.BootSourceOverrideMode === 'UEFI' ? 'uefi' : 'bios'}`),
  });
  expect(node).toMatchObject({ provision_state: 'manageable', last_error: null, power_state: before.power_state });

  const ports = (await http('GET', `${stack.nodeUrl}/v1/ports?node=oob-97&detail=true`)).body.ports;
  expect(ports.map((p: any) => [p.address, p.pxe_enabled]).sort()).toEqual(nics.map((n) => [n.MACAddress.toLowerCase(), true]).sort());

  const processed = (await http('GET', `${stack.inspectorUrl}/v1/introspection/oob-97/data`)).body;
  expect(processed.inventory.system_vendor).toMatchObject({ manufacturer: system.Manufacturer, firmware: { version: system.BiosVersion } });
  expect(processed.inventory.disks.map((d: any) => [d.name, d.size, d.serial])).toEqual(disks.map((d) => [d.Name, d.CapacityBytes, d.SerialNumber]));
  expect(processed.root_disk.size).toBe(rootSize);
  const raw = (await http('GET', `${stack.inspectorUrl}/v1/introspection/oob-97/data/unprocessed`)).body;
  expect(raw.inventory.interfaces.map((i: any) => i.mac_address)).toEqual(nics.map((n) => n.MACAddress.toLowerCase()));

  // No boot and no power change: only reads reached the BMC.
  const during = requests().slice(asked);
  expect(during.length).toBeGreaterThan(0);
  expect(during.filter((r) => !r.startsWith('GET '))).toEqual([]);
});

test('bad credentials fail the inspection with an error naming the node and what to do; no secret is kept anywhere', async () => {
  const node = (await http('GET', `${stack.nodeUrl}/v1/nodes/oob-97`)).body;
  const wrong = 'Not-The-Oob-Password';
  expect((await http('PATCH', `${stack.nodeUrl}/v1/nodes/oob-97`, [{ op: 'replace', path: '/driver_info/redfish_password', value: wrong }])).status).toBe(200);
  const asked = requests().length;

  expect((await http('POST', `${stack.inspectorUrl}/v1/introspection/oob-97`)).status).toBe(202);
  const status = await introspectionEnded(stack, 'oob-97', 60000);
  expect(status.state).toBe('error');
  expect(status.error).toMatch(/node oob-97: Redfish GET \/redfish\/v1\/Systems\/\S+ at http:\/\/127\.0\.0\.1:19501 failed: HTTP 401.*check redfish_username and redfish_password/);
  const after = (await http('GET', `${stack.nodeUrl}/v1/nodes/oob-97`)).body;
  expect(after).toMatchObject({ provision_state: 'inspect failed', power_state: node.power_state });
  expect(after.last_error).toContain('node oob-97');
  expect(requests().slice(asked).filter((r) => !r.startsWith('GET '))).toEqual([]);

  const histories = await historyTexts(stack.config, `WorkflowType = 'introspectNode'`);
  expect(histories.length).toBeGreaterThan(0);
  for (const { text } of histories) for (const secret of [PASSWORD, wrong]) expect(text).not.toContain(secret);
});

test('in a bulk run a redfish node is read from its BMC too, without a boot', async () => {
  expect((await http('PATCH', `${stack.nodeUrl}/v1/nodes/oob-97`, [{ op: 'replace', path: '/driver_info/redfish_password', value: PASSWORD }])).status).toBe(200);
  const asked = requests().length;
  const started = await http('POST', `${stack.inspectorUrl}/v1/introspection`, { nodes: ['oob-97'] });
  expect(started.status).toBe(202);
  const bulk = await waitFor('the bulk run to end', async () => {
    const body = (await http('GET', `${stack.inspectorUrl}/v1/introspection/bulk/${started.body.bulk_id}`)).body;
    return body.state === 'running' ? undefined : body;
  }, 60000);
  expect(bulk).toMatchObject({ state: 'finished', total: 1, finished: 1, failed: 0 });
  expect((await http('GET', `${stack.nodeUrl}/v1/nodes/oob-97`)).body).toMatchObject({ provision_state: 'manageable', last_error: null });
  const during = requests().slice(asked);
  expect(during.some((r) => r.includes('/EthernetInterfaces'))).toBe(true);
  expect(during.filter((r) => !r.startsWith('GET '))).toEqual([]);
});

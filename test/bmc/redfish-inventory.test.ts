import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { DEFAULT_PROCESSING_CONFIG, runPipeline } from '../../activities/hooks';
import { BmcError } from '../../activities/bmc';
import { RedfishDriver } from '../../activities/bmc/redfish';
import { enabledMacs, inventoryFromRedfish, MAX_MEMBERS, readRedfishHardware } from '../../activities/bmc/redfish-inventory';
import { IntrospectionDataSchema } from '../../common/inventory';
import { makeNode } from '../hooks/helpers';

// The answers of sushy-tools 2.2.0 (libvirt driver on libvirt's test:/// hypervisor, static
// Storage/Drives from its config) for one system, as captured from the emulator; a null body is
// its 404. A fixture BMC serves them over HTTP to the real RedfishDriver.

type Answers = Record<string, Record<string, unknown> | null>;
const FIXTURE = path.join(__dirname, '..', 'fixtures', 'redfish-inventory', 'sushy-libvirt.json');
const SYSTEM = '/redfish/v1/Systems/5b1e9a4c-0f3e-4d6a-9b2c-97000000a001';
const PORT = 19500;
const GiB = 1024 ** 3;

const load = (): Answers => JSON.parse(fs.readFileSync(FIXTURE, 'utf8'));

/** A BMC answering from `answers` (basic auth admin:secret), recording the paths asked for. */
class FixtureBmc {
  answers: Answers = load();
  asked: string[] = [];
  private readonly server = http.createServer((req, res) => {
    const p = (req.url ?? '').replace(/(.)\/$/, '$1');
    this.asked.push(p);
    const auth = `Basic ${Buffer.from('admin:secret').toString('base64')}`;
    const body = req.headers.authorization !== auth ? undefined : this.answers[p];
    const status = req.headers.authorization !== auth ? 401 : body ? 200 : 404;
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body ?? { error: { code: 'Base.1.0.GeneralError', message: status === 401 ? 'Unauthorized' : '404 Not Found' } }));
  });

  start = () => new Promise<void>((resolve) => this.server.listen(PORT, '127.0.0.1', resolve));
  stop = () => new Promise<void>((resolve) => this.server.close(() => resolve()));

  driver(overrides: Record<string, string> = {}) {
    const info = { redfish_address: `http://127.0.0.1:${PORT}`, redfish_system_id: SYSTEM, redfish_username: 'admin', redfish_password: 'secret', ...overrides };
    return new RedfishDriver(info, { nodeId: 'rack9-u01', retryDelayMs: 1 });
  }

  set(p: string, body: Record<string, unknown> | null) {
    this.answers[`${SYSTEM}${p}`] = body;
  }
  get(p: string) {
    return this.answers[`${SYSTEM}${p}`]!;
  }
}

const bmc = new FixtureBmc();
beforeAll(bmc.start);
afterAll(bmc.stop);
beforeEach(() => {
  bmc.answers = load();
  bmc.asked = [];
});

const read = async () => inventoryFromRedfish(await readRedfishHardware(bmc.driver(), 'rack9-u01'));

describe('Redfish → inventory, on sushy-tools answers', () => {
  test('maps the system, processors, drives and NICs as Ironic does, into a valid agent-shaped inventory', async () => {
    const data = await read();
    expect(IntrospectionDataSchema.safeParse(data).success).toBe(true);
    const { cpu, memory, disks, interfaces, system_vendor, boot } = data.inventory;
    // sushy counts logical CPUs: 4 processors with TotalThreads "2" each (a string in sushy-tools' template)
    expect(cpu).toEqual({ count: 8, architecture: 'x86_64', model_name: 'Westmere', frequency: null, socket_count: 4, flags: [] });
    expect(memory).toEqual({ physical_mb: 8 * 1024 });
    expect(disks).toEqual([
      { name: 'Drive Sample', size: 899527000000, model: 'C123', vendor: 'Contoso', serial: '1234570', rotational: true },
      { name: 'Drive Sample 2', size: 240057409536, model: 'C123', vendor: 'Contoso', serial: '1234570', rotational: true },
    ]);
    expect(interfaces.map((i) => [i.name, i.mac_address, i.pxe_enabled, i.has_carrier])).toEqual([
      ['52:54:00:97:00:01', '52:54:00:97:00:01', true, null],
      ['52:54:00:97:00:02', '52:54:00:97:00:02', true, null],
    ]);
    expect(system_vendor).toEqual({ product_name: 'oob-node', manufacturer: 'Sushy Emulator', serial_number: null, firmware: { version: '1.0.0' } });
    expect(boot).toEqual({ current_boot_mode: 'uefi' });
    expect(enabledMacs(data)).toEqual(['52:54:00:97:00:01', '52:54:00:97:00:02']);
    // Memory is not read when the summary has the total; SimpleStorage not when Storage has drives
    expect(bmc.asked.some((p) => p.endsWith('/Memory') || p.includes('/SimpleStorage'))).toBe(false);
  });

  test('the processing hooks turn it into cpus, cpu_arch, memory_mb, local_gb, boot_mode and ports', async () => {
    const result = runPipeline(await read(), makeNode(), DEFAULT_PROCESSING_CONFIG);
    // root disk: the smallest of at least 4 GiB, as the agent picks it; local_gb one GiB less
    expect(result.patch.properties).toMatchObject({
      cpus: 8,
      cpu_arch: 'x86_64',
      memory_mb: 8192,
      local_gb: Math.floor(240057409536 / GiB) - 1,
      capabilities: 'boot_mode:uefi',
    });
    expect(result.patch.ports).toEqual([{ address: '52:54:00:97:00:01', pxe_enabled: true }]);
  });

  test('without Storage the disks come from SimpleStorage', async () => {
    bmc.set('/Storage', null);
    const { disks } = (await read()).inventory;
    expect(disks).toEqual([{ name: 'root.img', size: 21474836480, model: null, vendor: null, serial: null, rotational: null }]);
  });

  test('without a memory total the DIMMs are added up; empty slots and speeds are read as Redfish puts them', async () => {
    const system = bmc.get('');
    bmc.set('', { ...system, MemorySummary: { Status: { State: 'Enabled' } }, Boot: { BootSourceOverrideMode: 'Legacy' } });
    bmc.set('/Memory', { Members: [{ '@odata.id': `${SYSTEM}/Memory/DIMM0` }, { '@odata.id': `${SYSTEM}/Memory/DIMM1` }] });
    bmc.set('/Memory/DIMM0', { Id: 'DIMM0', CapacityMiB: 16384, Status: { State: 'Enabled' } });
    bmc.set('/Memory/DIMM1', { Id: 'DIMM1', CapacityMiB: 16384, Status: { State: 'Absent' } });
    const nic = bmc.get('/EthernetInterfaces/52:54:00:97:00:02');
    bmc.set('/EthernetInterfaces/52:54:00:97:00:02', { ...nic, Status: { State: 'Disabled' }, LinkStatus: 'LinkDown', SpeedMbps: 10000 });
    const cpu = bmc.get('/Processors/CPU0');
    bmc.set('/Processors/CPU0', { ...cpu, InstructionSet: 'ARM-A64', MaxSpeedMHz: 3000 });

    const data = await read();
    expect(data.inventory.memory).toEqual({ physical_mb: 16384 });
    expect(data.inventory.boot).toEqual({ current_boot_mode: 'bios' });
    expect(data.inventory.cpu).toMatchObject({ architecture: 'aarch64', frequency: 3000 });
    expect(data.inventory.interfaces[1]).toMatchObject({ pxe_enabled: false, has_carrier: false, speed_mbps: 10000 });
    expect(enabledMacs(data)).toEqual(['52:54:00:97:00:01']);
  });

  test(`a collection of more than ${MAX_MEMBERS} members is refused, naming the node and the path`, async () => {
    const members = Array.from({ length: MAX_MEMBERS + 1 }, (_, i) => ({ '@odata.id': `${SYSTEM}/Processors/CPU${i}` }));
    bmc.set('/Processors', { Members: members });
    await expect(read()).rejects.toThrow(`node rack9-u01: Redfish GET ${SYSTEM}/Processors: the BMC lists ${MAX_MEMBERS + 1} members`);
    expect(bmc.asked.filter((p) => p.includes('/Processors/'))).toEqual([]);
  });

  test('a link that leaves /redfish/v1/ of the BMC is refused: the credentials stay on it', async () => {
    bmc.set('/EthernetInterfaces', { Members: [{ '@odata.id': 'http://198.51.100.7/redfish/v1/Systems/x/EthernetInterfaces/1' }] });
    await expect(read()).rejects.toThrow(/node rack9-u01: .*refused: the BMC links to a resource outside \/redfish\/v1\//);
  });

  test('an answer over 1 MiB is refused, not read to its end', async () => {
    bmc.set('/EthernetInterfaces', { Members: [], Description: 'x'.repeat(1 << 20) });
    await expect(read()).rejects.toThrow(`node rack9-u01: Redfish GET ${SYSTEM}/EthernetInterfaces at http://127.0.0.1:${PORT} failed: HTTP 200 with an answer over 1048576 bytes`);
  });

  test('an unknown system and bad credentials are errors naming the node, the path and what to do', async () => {
    await expect(readRedfishHardware(bmc.driver({ redfish_system_id: 'nope' }), 'rack9-u01')).rejects.toThrow('node rack9-u01: Redfish GET /redfish/v1/Systems/nope: the BMC has no such system (HTTP 404); check redfish_system_id');
    const denied = readRedfishHardware(bmc.driver({ redfish_password: 'wrong' }), 'rack9-u01');
    await expect(denied).rejects.toThrow(BmcError);
    await expect(denied).rejects.toThrow(`node rack9-u01: Redfish GET ${SYSTEM} at http://127.0.0.1:${PORT} failed: HTTP 401`);
    await expect(denied).rejects.toThrow(/check redfish_username and redfish_password$/);
  });
});

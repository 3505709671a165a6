import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_HOOK_ORDER, runPipeline } from '../../activities/hooks';
import { acceptanceHook } from '../../activities/hooks/acceptance';
import { loadCablingPlan, parseCablingPlan } from '../../activities/hooks/acceptance-cabling';
import { compareVersions } from '../../activities/hooks/acceptance-check';
import { loadProfiles, profileFor, type AcceptanceProfile } from '../../activities/hooks/acceptance-profiles';
import { processingSettings } from '../../activities/hooks/settings';
import type { AcceptanceResult } from '../../common/acceptance-result';
import { GiB, hex, makeCtx, makeData, makeNode, NODE_UUID } from './helpers';

const SWITCH_MAC = '64:1e:81:f4:1a:20';
const lldp = (port: string, name = 'leaf-1') => [[1, '04' + SWITCH_MAC.replaceAll(':', '')], [2, '05' + hex(port)], [5, hex(name)]];

/** A server as a profile below orders it: 2 NVMe disks of 1 TB, 2 NICs at 25G, BIOS 2.10.1, BMC 5.10. */
function server(over: Record<string, unknown> = {}) {
  return makeData(
    {
      interfaces: [
        { name: 'eth0', mac_address: '52:54:00:00:00:01', speed_mbps: 25000, lldp: lldp('Ethernet1/1') },
        { name: 'eth1', mac_address: '52:54:00:00:00:02', speed_mbps: 25000, lldp: lldp('Ethernet1/2') },
      ],
      cpu: { count: 64, architecture: 'x86_64', flags: [], model_name: 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz' },
      memory: { total: 256 * GiB, physical_mb: 262144 },
      disks: [
        { name: '/dev/nvme0n1', size: 1000 * 1e9, rotational: false, tran: 'nvme' },
        { name: '/dev/nvme1n1', size: 1000 * 1e9, rotational: false, tran: 'nvme' },
      ],
      system_vendor: { firmware: { version: 'U46 v2.10.1' } },
      ...over,
    },
    { extra: { firmware: { bmc: { version: '5.10' } } } },
  );
}

const PROFILE: AcceptanceProfile = {
  name: 'gpu-r1',
  match: { rack: 'r1' },
  cpu: { model: 'gold 6338', model_regex: '6338', count: 64 },
  memory: { min_mib: 262144 },
  disks: { count: 2, min_size_gib: 900, type: 'nvme' },
  nics: { count: 2, min_speed_mbps: 25000 },
  firmware: { bios_min: '2.9', bmc_min: '5.10' },
};

function check(data = server(), config: { profiles?: AcceptanceProfile[]; cabling?: string } = {}, node = {}): AcceptanceResult {
  const ctx = makeCtx(data, {
    node: { extra: { rack: 'r1' }, ...node },
    config: { acceptance: { profiles: config.profiles ?? [PROFILE], cabling: config.cabling ? parseCablingPlan(config.cabling) : [] } },
  });
  acceptanceHook.beforeUpdate!(ctx);
  return ctx.data.acceptance as AcceptanceResult;
}

describe('acceptance hook: profile', () => {
  it('passes a node as ordered, and names the profile', () => {
    expect(check()).toEqual({ status: 'pass', profile: 'gpu-r1', planned_ports: 0, rack: 'r1', differences: [], miscabled: [] });
  });

  it('names each difference: CPU, memory, disks, NICs and firmware', () => {
    const data = server({
      cpu: { count: 32, architecture: 'x86_64', flags: [], model_name: 'AMD EPYC 7302' },
      memory: { physical_mb: 131072 },
      disks: [
        { name: '/dev/sda', size: 480 * 1e9, rotational: false, tran: 'sata' },
        { name: '/dev/sdb', size: 4000 * 1e9, rotational: true },
        { name: '/dev/nvme0n1', size: 1000 * 1e9, rotational: false, tran: 'nvme' },
      ],
      interfaces: [{ name: 'eth0', mac_address: '52:54:00:00:00:01', speed_mbps: 10000 }],
      system_vendor: { firmware: { version: '2.8.3' } },
    });
    data.extra = { firmware: { bmc: { version: '5.9.9' } } };
    expect(check(data).differences).toEqual([
      { field: 'cpu.model', expected: 'contains "gold 6338"', actual: 'AMD EPYC 7302' },
      { field: 'cpu.model', expected: 'matches /6338/', actual: 'AMD EPYC 7302' },
      { field: 'cpu.count', expected: '64', actual: '32' },
      { field: 'memory.mib', expected: '>= 262144', actual: '131072' },
      { field: 'disks.count', expected: '2', actual: '3' },
      { field: 'disks[/dev/sda].size_gib', expected: '>= 900', actual: '447' },
      { field: 'disks[/dev/sda].type', expected: 'nvme', actual: 'ssd' },
      { field: 'disks[/dev/sdb].type', expected: 'nvme', actual: 'hdd' },
      { field: 'nics.count', expected: '2', actual: '1' },
      { field: 'nics[eth0].speed_mbps', expected: '>= 25000', actual: '10000' },
      { field: 'firmware.bios', expected: '>= 2.9', actual: '2.8.3' },
      { field: 'firmware.bmc', expected: '>= 5.10', actual: '5.9.9' },
    ]);
    expect(check(data).status).toBe('fail');
  });

  it('says unknown for what the agent did not report', () => {
    const data = server({ interfaces: [{ name: 'eth0', mac_address: '52:54:00:00:00:01' }, { name: 'eth1', mac_address: '52:54:00:00:00:02' }] });
    delete data.extra;
    expect(check(data).differences).toEqual([
      { field: 'nics[eth0].speed_mbps', expected: '>= 25000', actual: 'unknown' },
      { field: 'nics[eth1].speed_mbps', expected: '>= 25000', actual: 'unknown' },
      { field: 'firmware.bmc', expected: '>= 5.10', actual: 'unknown' },
    ]);
  });

  it('checks exact memory and a minimum CPU count', () => {
    const profile: AcceptanceProfile = { name: 'p', match: { rack: 'r1' }, cpu: { min_count: 96 }, memory: { exact_mib: 262000 } };
    expect(check(server(), { profiles: [profile] }).differences).toEqual([
      { field: 'cpu.count', expected: '>= 96', actual: '64' },
      { field: 'memory.mib', expected: '262000', actual: '262144' },
    ]);
  });

  it('compares firmware versions by their numeric parts', () => {
    expect(compareVersions('2.10.1', '2.9')).toBeGreaterThan(0);
    expect(compareVersions('U46 v2.9', '2.9.0')).not.toBe(0); // 46 counts
    expect(compareVersions('2.9', '2.9.0')).toBe(0);
    expect(compareVersions('1.0.2', '1.0.10')).toBeLessThan(0);
  });

  it('is not_checked without a profile or a planned cable', () => {
    expect(check(server(), { profiles: [] })).toEqual({ status: 'not_checked', profile: null, planned_ports: 0, rack: 'r1', differences: [], miscabled: [] });
    expect(check(server(), {}, { extra: { rack: 'r9' } }).status).toBe('not_checked');
  });
});

describe('acceptance hook: the most specific profile', () => {
  const byClass: AcceptanceProfile = { name: 'class', match: { resource_class: 'gpu' } };
  const byRack: AcceptanceProfile = { name: 'rack', match: { rack: 'r1' } };
  const both: AcceptanceProfile = { name: 'both', match: { rack: 'r1', resource_class: 'gpu' } };

  it('prefers rack and class, then rack, then class, whatever the order', () => {
    const all = [byClass, both, byRack];
    expect(profileFor(all, { rack: 'r1', resource_class: 'gpu' })?.name).toBe('both');
    expect(profileFor([byClass, byRack], { rack: 'r1', resource_class: 'gpu' })?.name).toBe('rack');
    expect(profileFor(all, { rack: 'r2', resource_class: 'gpu' })?.name).toBe('class');
    expect(profileFor(all, { rack: 'r1', resource_class: 'cpu' })?.name).toBe('rack');
    expect(profileFor(all, { rack: 'r2', resource_class: null })).toBeNull();
  });

  it('uses the node resource class given by processing', () => {
    expect(check(server(), { profiles: [byClass] }, { extra: {}, resource_class: 'gpu' }).profile).toBe('class');
  });
});

describe('acceptance hook: cabling', () => {
  const plan = (rows: string) => `node,nic,switch,port\n${rows}`;

  it('passes cables as planned, by node name or uuid, NIC name or MAC, switch chassis id or name', () => {
    const r = check(server(), { profiles: [], cabling: plan(`compute-0,eth0,leaf-1,Ethernet1/1\n${NODE_UUID},52-54-00-00-00-02,${SWITCH_MAC.toUpperCase()},Ethernet1/2\nother,eth0,leaf-9,Ethernet9/9`) });
    expect(r).toMatchObject({ status: 'pass', planned_ports: 2, differences: [], miscabled: [] });
  });

  it('names a port on the wrong switch port, a NIC without LLDP, and a planned NIC that is not there', () => {
    const data = server();
    data.inventory.interfaces[1].lldp = null;
    const r = check(data, { profiles: [], cabling: plan('compute-0,eth0,leaf-1,Ethernet1/7\ncompute-0,eth1,leaf-1,Ethernet1/2\ncompute-0,eth5,leaf-2,Ethernet2/5') });
    expect(r.status).toBe('fail');
    expect(r.miscabled).toEqual([
      { nic: 'eth0', expected_switch: 'leaf-1', expected_port: 'Ethernet1/7', seen_switch: 'leaf-1', seen_port: 'Ethernet1/1' },
      { nic: 'eth1', expected_switch: 'leaf-1', expected_port: 'Ethernet1/2', seen_switch: null, seen_port: null },
      { nic: 'eth5', expected_switch: 'leaf-2', expected_port: 'Ethernet2/5', seen_switch: null, seen_port: null },
    ]);
    expect(r.differences).toEqual([
      { field: 'nics[eth0].cabling', expected: 'leaf-1 Ethernet1/7', actual: 'leaf-1 Ethernet1/1' },
      { field: 'nics[eth1].cabling', expected: 'leaf-1 Ethernet1/2', actual: 'no LLDP neighbour' },
      { field: 'nics[eth5].present', expected: 'a NIC cabled to leaf-2 Ethernet2/5', actual: 'no such NIC' },
    ]);
  });

  it('reads lldp_processed when lldp_basic ran (the default chain)', () => {
    const data = server();
    const config = { ...makeCtx(data).config, addPorts: 'all' as const, acceptance: { profiles: [PROFILE], cabling: parseCablingPlan(plan('compute-0,eth0,leaf-1,Ethernet1/9')) } };
    expect(DEFAULT_HOOK_ORDER.indexOf('acceptance')).toBeGreaterThan(DEFAULT_HOOK_ORDER.indexOf('lldp_basic'));
    const result = runPipeline(data, makeNode({ extra: { rack: 'r1' } }), config);
    const all = result.data.all_interfaces as Record<string, { lldp_processed?: Record<string, unknown> }>;
    expect(all.eth0.lldp_processed?.switch_port_id).toBe('Ethernet1/1');
    expect((result.data.acceptance as AcceptanceResult).differences).toEqual([{ field: 'nics[eth0].cabling', expected: 'leaf-1 Ethernet1/9', actual: 'leaf-1 Ethernet1/1' }]);
  });
});

describe('cabling plan file', () => {
  it('reads RFC 4180 quoting, CRLF, blank lines, and normalises MACs', () => {
    const rows = parseCablingPlan('node,nic,switch,port\r\n"rack1-u01",AA:BB:CC:DD:EE:01,"leaf, A","Eth ""1"""\r\n\r\nrack1-u02,eth0,leaf-b,swp2\r\n');
    expect(rows).toEqual([
      { node: 'rack1-u01', nic: 'aa:bb:cc:dd:ee:01', switch: 'leaf, A', port: 'Eth "1"' },
      { node: 'rack1-u02', nic: 'eth0', switch: 'leaf-b', port: 'swp2' },
    ]);
  });

  it.each([
    ['node,nic,switch\n', /^line 1: the header must be node,nic,switch,port/],
    ['node,nic,switch,port\nn1,eth0,leaf\n', /^line 2: 3 fields, expected 4/],
    ['node,nic,switch,port\nn1,eth0,leaf,p1\n\nn1,,leaf,p2\n', /^line 4: nic: /],
    ['node,nic,switch,port\nn1,eth0,leaf,p1\nn1,eth0,leaf,p2\n', /^line 3: node n1 NIC eth0 is already planned on line 2/],
    ['node,nic,switch,port\nn1,eth0,"leaf\nx,p1\n', /^line 2: a quote is never closed/],
    ['node,nic,switch,port\nn1,eth0,"leaf"x,p1\n', /^line 2: text after a closing quote/],
    [`node,nic,switch,port\nn1,eth0,${'x'.repeat(300)},p1\n`, /^line 2: a field longer than 255/],
    ['', /^line 1: the header/],
  ])('refuses a bad plan, naming the line: %j', (text, message) => {
    expect(() => parseCablingPlan(text)).toThrow(message);
  });

  it('counts lines inside quoted fields', () => {
    expect(() => parseCablingPlan('node,nic,switch,port\nn1,eth0,"a\nb",p1\nn2,,x,y\n')).toThrow(/^line 4: /);
  });
});

describe('profiles and plan from files, at start', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acceptance-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('loads JSON and YAML profiles (named by file unless named) and the plan into the processing config', () => {
    fs.writeFileSync(path.join(dir, 'gpu.yaml'), 'match:\n  resource_class: gpu\ncpu:\n  model_regex: "Xeon.*Gold"\nmemory:\n  min_mib: 262144\n');
    fs.writeFileSync(path.join(dir, 'r1.json'), JSON.stringify({ name: 'rack one', match: { rack: 'r1' }, disks: { type: 'ssd' } }));
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'ignored');
    const plan = path.join(dir, 'plan.csv');
    fs.writeFileSync(plan, 'node,nic,switch,port\nn1,eth0,leaf,p1\n');
    const { config } = processingSettings({ ACCEPTANCE_PROFILES_DIR: dir, CABLING_PLAN_FILE: plan });
    expect(config.acceptance.profiles.map((p) => [p.name, p.match])).toEqual([
      ['gpu', { resource_class: 'gpu' }],
      ['rack one', { rack: 'r1' }],
    ]);
    expect(config.acceptance.profiles[0].memory).toEqual({ min_mib: 262144 });
    expect(config.acceptance.cabling).toEqual([{ node: 'n1', nic: 'eth0', switch: 'leaf', port: 'p1' }]);
  });

  it.each([
    ['bad.yaml', 'match: {}\n', /ACCEPTANCE_PROFILES_DIR: .*bad\.yaml: match: rack or resource_class/],
    ['bad.json', '{"match": {"rack": "r1"}, "memory": {"min_mib": "lots"}}', /bad\.json: memory\.min_mib: /],
    ['bad.json', '{"match": {"rack": "r1"}, "cpu": {"model_regex": "(a)\\\\1"}}', /bad\.json: cpu\.model_regex: pattern not supported/],
    ['bad.yml', 'match: {rack: r1}\ndisks: {type: floppy}\n', /bad\.yml: disks\.type: /],
    ['bad.yaml', 'match: {rack: r1}\ncolour: red\n', /bad\.yaml: .*colour/],
    ['bad.json', '{', /bad\.json: not valid JSON/],
  ])('refuses %s naming the file and the field', (file, text, message) => {
    fs.writeFileSync(path.join(dir, file), text);
    expect(() => processingSettings({ ACCEPTANCE_PROFILES_DIR: dir })).toThrow(message);
  });

  it('refuses two profiles with the same match', () => {
    fs.writeFileSync(path.join(dir, 'a.json'), JSON.stringify({ match: { rack: 'r1' } }));
    fs.writeFileSync(path.join(dir, 'b.yaml'), 'match: {rack: r1}\n');
    expect(() => loadProfiles(dir)).toThrow(/b\.yaml: match: the same as .*a\.json/);
  });

  it('names the plan file and line when the plan is bad', () => {
    const plan = path.join(dir, 'plan.csv');
    fs.writeFileSync(plan, 'node,nic,switch,port\nn1,eth0\n');
    expect(() => processingSettings({ CABLING_PLAN_FILE: plan })).toThrow(/CABLING_PLAN_FILE: .*plan\.csv: line 2: 2 fields/);
    expect(() => loadCablingPlan(path.join(dir, 'missing.csv'))).toThrow(/missing\.csv: ENOENT/);
  });
});

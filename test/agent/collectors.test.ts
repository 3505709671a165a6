import { execFileSync } from 'node:child_process';
import zlib from 'node:zlib';
import { IntrospectionDataSchema } from '../../common/inventory';
import { runCollectors } from '../../agent/collect';
import { orderCollectors } from '../../agent/collectors';
import { collectInventory } from '../../agent/collectors/default';
import { buildHardwareList } from '../../agent/collectors/extra-hardware';
import { collectLogs } from '../../agent/collectors/logs';
import { numaTopology, parseNodeMemTotal } from '../../agent/collectors/numa-topology';
import { listPciDevices } from '../../agent/collectors/pci-devices';
import { type ContextOptions, createContext } from '../../agent/context';
import { getBmc, parseLan6Print, parseLanPrint } from '../../agent/hw/bmc';
import { countCpuList, getCpu, parseCpuinfo } from '../../agent/hw/cpu';
import { guessRootDisk, listDisks, wwnFromWwid } from '../../agent/hw/disks';
import { listInterfaces } from '../../agent/hw/interfaces';
import { getMemory } from '../../agent/hw/memory';
import { getBoot, getSystemVendor } from '../../agent/hw/system';
import type { Exec } from '../../agent/sys';
import { tokenRedactor } from '../../agent/redact';
import { tar } from '../../agent/tar';
import { SERVER_TREE, captureLogger, makeTree, removeTree } from './helpers';

const GiB = 1024 * 1024 * 1024;

let root: string;
let emptyRoot: string;

beforeAll(async () => {
  root = await makeTree(SERVER_TREE);
  emptyRoot = await makeTree({});
});

afterAll(async () => {
  await removeTree(root);
  await removeTree(emptyRoot);
});

function ctxFor(dir: string, extra: ContextOptions = {}) {
  return createContext({
    root: dir,
    machine: () => 'x86_64',
    hostname: () => 'node-1',
    netAddresses: () => ({
      eno1: [
        { address: '10.0.0.5', netmask: '255.255.255.0', family: 'IPv4', mac: '', internal: false, cidr: null },
        { address: 'fe80::1%eno1', netmask: 'ffff::', family: 'IPv6', mac: '', internal: false, cidr: null, scopeid: 2 },
        { address: '2001:db8::5', netmask: 'ffff::', family: 'IPv6', mac: '', internal: false, cidr: null, scopeid: 0 },
      ],
    }),
    ...extra,
  });
}

describe('interfaces', () => {
  test('physical NICs, veths and VLANs; no loopback or software devices', async () => {
    const ifaces = await listInterfaces(ctxFor(root, { bootif: 'aa:bb:cc:dd:ee:01' }));
    expect(ifaces.map((i) => i.name)).toEqual(['eno1', 'eno1.100', 'eno2', 'veth0']);
    const eno1 = ifaces[0];
    expect(eno1).toMatchObject({
      mac_address: 'aa:bb:cc:dd:ee:01',
      ipv4_address: '10.0.0.5',
      ipv6_address: '2001:db8::5',
      has_carrier: true,
      vendor: '0x8086',
      product: '0x1572',
      speed_mbps: 10000,
      lldp: null,
      client_id: null,
      biosdevname: null,
      pxe_enabled: true,
    });
    const eno2 = ifaces.find((i) => i.name === 'eno2')!;
    // carrier unreadable while down; speed -1 means unknown
    expect(eno2).toMatchObject({ has_carrier: false, speed_mbps: null, ipv4_address: null, pxe_enabled: false });
    const veth = ifaces.find((i) => i.name === 'veth0')!;
    expect(veth).toMatchObject({ vendor: null, product: null, has_carrier: true, mac_address: '02:00:00:00:00:05' });
  });

  test('pxe_enabled is null when BOOTIF is unknown', async () => {
    const ifaces = await listInterfaces(ctxFor(root));
    expect(ifaces.every((i) => i.pxe_enabled === null)).toBe(true);
  });
});

describe('cpu', () => {
  test('cpuinfo, cpufreq and sockets', async () => {
    const cpu = await getCpu(ctxFor(root));
    expect(cpu).toEqual({
      model_name: 'Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz',
      frequency: '3900.0000',
      count: 4,
      architecture: 'x86_64',
      flags: ['fpu', 'vme', 'sse2', 'vmx'],
      socket_count: 2,
    });
  });

  test('falls back to cpu MHz and /sys online list; unknowns stay null', async () => {
    const dir = await makeTree({
      'proc/cpuinfo': 'Processor\t: AArch64 Processor rev 0\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\n\ncpu MHz : 0\n',
      'sys/devices/system/cpu/online': '0-7\n',
      'sys/devices/system/cpu/cpu0/topology/physical_package_id': '0\n',
      'sys/devices/system/cpu/cpu1/topology/physical_package_id': '0\n',
    });
    try {
      const cpu = await getCpu(ctxFor(dir, { machine: () => 'aarch64' }));
      expect(cpu).toEqual({
        model_name: 'AArch64 Processor rev 0',
        frequency: null,
        count: 8,
        architecture: 'aarch64',
        flags: ['fp', 'asimd'],
        socket_count: 1,
      });
    } finally {
      await removeTree(dir);
    }
  });

  test('helpers', () => {
    expect(parseCpuinfo('processor : 0\nmodel name : X\n\nprocessor : 1\n')).toEqual([
      { processor: '0', 'model name': 'X' },
      { processor: '1' },
    ]);
    expect(countCpuList('0-3,8,10-11')).toBe(7);
    expect(countCpuList('')).toBeNull();
  });
});

describe('memory', () => {
  test('MemTotal and online memory blocks', async () => {
    expect(await getMemory(ctxFor(root))).toEqual({ total: 16314412 * 1024, physical_mb: 512 });
  });

  test('nothing known -> nulls', async () => {
    expect(await getMemory(ctxFor(emptyRoot))).toEqual({ total: null, physical_mb: null });
  });
});

describe('disks', () => {
  test('sysfs + udev + by-path fallback', async () => {
    const disks = await listDisks(ctxFor(root));
    expect(disks.map((d) => d.name)).toEqual(['/dev/nvme0n1', '/dev/sda', '/dev/sdb', '/dev/vda']);
    const sda = disks.find((d) => d.name === '/dev/sda')!;
    expect(sda).toEqual({
      name: '/dev/sda',
      model: 'INTEL SSDSC2KB96',
      size: 960 * GiB,
      rotational: false,
      wwn: '0x55cd2e414e5fb5a2',
      serial: 'PHYS123',
      vendor: 'ATA',
      wwn_with_extension: '0x55cd2e414e5fb5a2',
      wwn_vendor_extension: null,
      hctl: '0:0:0:0',
      by_path: '/dev/disk/by-path/pci-0000:00:17.0-ata-1',
      logical_sectors: 512,
      physical_sectors: 4096,
      tran: 'sata',
    });
    const nvme = disks.find((d) => d.name === '/dev/nvme0n1')!;
    expect(nvme).toMatchObject({
      model: 'Samsung SSD 980 PRO 1TB',
      serial: 'S64ANS0T',
      wwn: 'eui.0025388b91b0a1b2',
      by_path: '/dev/disk/by-path/pci-0000:5e:00.0-nvme-1',
      rotational: false,
      hctl: null,
      tran: 'nvme',
    });
    const sdb = disks.find((d) => d.name === '/dev/sdb')!;
    // empty model/vendor files and missing block sizes are unknowns, not values
    expect(sdb).toMatchObject({ model: null, vendor: null, rotational: true, logical_sectors: null, serial: null });
    const vda = disks.find((d) => d.name === '/dev/vda')!;
    expect(vda).toMatchObject({ size: 0, serial: 'virt-serial', vendor: '0x1af4', rotational: null });
  });

  test('root disk: smallest of at least 4 GiB', async () => {
    const disks = await listDisks(ctxFor(root));
    expect(guessRootDisk(disks)?.name).toBe('/dev/nvme0n1');
    expect(guessRootDisk(disks.filter((d) => d.size < 4 * GiB))).toBeNull();
    expect(guessRootDisk([])).toBeNull();
  });

  test('wwid forms', () => {
    expect(wwnFromWwid('naa.5000C500ABCDEF01')).toBe('0x5000c500abcdef01');
    expect(wwnFromWwid('t10.ATA     QEMU')).toBe('t10.ATA     QEMU');
    expect(wwnFromWwid(null)).toBeNull();
  });
});

describe('system vendor and boot', () => {
  test('DMI from /sys/class/dmi/id, UEFI from /sys/firmware/efi', async () => {
    const ctx = ctxFor(root, { bootif: 'aa:bb:cc:dd:ee:01' });
    expect(await getSystemVendor(ctx)).toEqual({
      product_name: 'PowerEdge R640',
      serial_number: 'ABC1234',
      manufacturer: 'Dell Inc.',
      firmware: { vendor: 'Dell Inc.', version: '2.11.2', build_date: '04/12/2021' },
    });
    expect(await getBoot(ctx)).toEqual({ current_boot_mode: 'uefi', pxe_interface: 'aa:bb:cc:dd:ee:01' });
  });

  test('no DMI -> nulls, BIOS boot', async () => {
    const ctx = ctxFor(emptyRoot);
    expect(await getSystemVendor(ctx)).toEqual({
      product_name: null,
      serial_number: null,
      manufacturer: null,
      firmware: { vendor: null, version: null, build_date: null },
    });
    expect(await getBoot(ctx)).toEqual({ current_boot_mode: 'bios', pxe_interface: null });
  });
});

describe('BMC', () => {
  const LAN_PRINT = [
    'Set in Progress         : Set Complete',
    'IP Address Source       : Static Address',
    'IP Address              : 192.168.10.21',
    'Subnet Mask             : 255.255.255.0',
    'MAC Address             : 0C:C4:7A:11:22:33',
  ].join('\n');
  const LAN6_PRINT = [
    'IPv6/IPv4 Support:      IPv6 and IPv4 simultaneously',
    'IPv6 Static Address 0:',
    '    Enabled:        no',
    '    Address:        2001:db8::99/64',
    '    Status:         active',
    'IPv6 Dynamic Address 0:',
    '    Source/Type:    SLAAC',
    '    Address:        fe80::ec4:7aff:fe11:2233/64',
    '    Status:         active',
    'IPv6 Dynamic Address 1:',
    '    Source/Type:    SLAAC',
    '    Address:        2001:db8::21/64',
    '    Status:         active',
  ].join('\n');

  test('parsers', () => {
    expect(parseLanPrint(LAN_PRINT)).toEqual({ ip: '192.168.10.21', mac: '0c:c4:7a:11:22:33' });
    expect(parseLanPrint('IP Address : 0.0.0.0\nMAC Address : 00:00:00:00:00:00\n')).toEqual({ ip: null, mac: null });
    expect(parseLan6Print(LAN6_PRINT)).toBe('2001:db8::21');
    expect(parseLan6Print('')).toBeNull();
  });

  test('ipmitool channels, then lan6 on the channel that answered', async () => {
    const calls: string[] = [];
    const exec: Exec = async (_cmd, args) => {
      calls.push(args.join(' '));
      if (args.join(' ') === 'lan print 1') return { code: 0, stdout: 'IP Address : 0.0.0.0\n', stderr: '' };
      if (args.join(' ') === 'lan print 2') return { code: 0, stdout: LAN_PRINT, stderr: '' };
      if (args.join(' ') === 'lan6 print 2') return { code: 0, stdout: LAN6_PRINT, stderr: '' };
      return { code: 1, stdout: '', stderr: 'Invalid channel' };
    };
    const bmc = await getBmc(ctxFor(emptyRoot, { exec, which: async (c) => `/usr/bin/${c}` }));
    expect(bmc).toEqual({ bmc_address: '192.168.10.21', bmc_v6address: '2001:db8::21', bmc_mac: '0c:c4:7a:11:22:33' });
    expect(calls).toEqual(['lan print 1', 'lan print 2', 'lan6 print 2']);
  });

  test('no IPMI device: one call, nulls', async () => {
    const exec = jest.fn<ReturnType<Exec>, Parameters<Exec>>(async () => ({
      code: 1,
      stdout: '',
      stderr: 'Could not open device at /dev/ipmi0 or /dev/ipmi/0 or /dev/ipmidev/0: No such file or directory',
    }));
    const bmc = await getBmc(ctxFor(emptyRoot, { exec, which: async (c) => `/usr/bin/${c}` }));
    expect(bmc).toEqual({ bmc_address: null, bmc_v6address: null, bmc_mac: null });
    expect(exec).toHaveBeenCalledTimes(1);
  });

  test('override skips ipmitool', async () => {
    const exec = jest.fn<ReturnType<Exec>, Parameters<Exec>>();
    const ctx = ctxFor(emptyRoot, { exec, which: async (c) => `/usr/bin/${c}`, bmcAddress: '127.0.10.5' });
    expect(await getBmc(ctx)).toEqual({ bmc_address: '127.0.10.5', bmc_v6address: null, bmc_mac: null });
    expect(exec).not.toHaveBeenCalled();
    expect((await getBmc(ctxFor(emptyRoot, { bmcAddress: 'fd00::5' }))).bmc_v6address).toBe('fd00::5');
  });
});

describe('pci-devices', () => {
  test('vendor/product/class/revision/bus/numa_node_id, malformed devices skipped', async () => {
    const log = captureLogger();
    const devices = await listPciDevices(ctxFor(root, { log }));
    expect(devices).toEqual([
      { vendor_id: '8086', product_id: '2020', class: '060000', revision: '04', bus: '0000:00:00.0', numa_node_id: null },
      { vendor_id: '15b3', product_id: '1017', class: '020000', revision: null, bus: '0000:3b:00.0', numa_node_id: '1' },
    ]);
    expect(log.text()).toContain('0000:00:1f.2');
  });
});

describe('numa-topology', () => {
  test('ram, cpus with thread siblings, nics', async () => {
    const topology = await numaTopology(ctxFor(root));
    expect(topology).toEqual({
      ram: [
        { numa_node: 0, size_kb: 1560000 },
        { numa_node: 1, size_kb: 2048 * 1024 },
      ],
      cpus: [
        { cpu: 0, numa_node: 0, thread_siblings: [0, 4] },
        { cpu: 1, numa_node: 0, thread_siblings: [1] },
        { cpu: 0, numa_node: 1, thread_siblings: [2, 3] },
      ],
      nics: [
        { name: 'eno1', numa_node: 0 },
        { name: 'eno2', numa_node: 1 },
      ],
    });
  });

  test('no node directory -> null; bad meminfo -> error', async () => {
    expect(await numaTopology(ctxFor(emptyRoot))).toBeNull();
    const dir = await makeTree({ 'sys/devices/system/node/node0/meminfo': 'garbage\n' });
    try {
      await expect(numaTopology(ctxFor(dir))).rejects.toThrow(/memory information/);
    } finally {
      await removeTree(dir);
    }
    expect(parseNodeMemTotal('Node 3 MemTotal:   12 GB')).toBe(12 * 1024 * 1024);
  });
});

describe('extra-hardware', () => {
  test('4-tuples of strings', async () => {
    const ctx = ctxFor(root);
    const list = await buildHardwareList(ctx, await collectInventory(ctx));
    expect(list.every((t) => t.length === 4 && t.every((v) => typeof v === 'string'))).toBe(true);
    expect(list).toEqual(
      expect.arrayContaining([
        ['system', 'product', 'name', 'PowerEdge R640'],
        ['system', 'product', 'vendor', 'Dell Inc.'],
        ['firmware', 'bios', 'version', '2.11.2'],
        ['cpu', 'logical', 'number', '4'],
        ['cpu', 'physical', 'number', '2'],
        ['memory', 'total', 'size', String(16314412 * 1024)],
        ['disk', 'logical', 'count', '4'],
        ['disk', 'sda', 'size', String(Math.floor((960 * GiB) / 1e9))],
        ['network', 'eno1', 'serial', 'aa:bb:cc:dd:ee:01'],
        ['network', 'eno1', 'link', 'yes'],
        ['numa', 'nodes', 'count', '2'],
      ]),
    );
  });
});

describe('logs', () => {
  test('base64 tar.gz of the journal, dmesg when the journal is empty', async () => {
    const exec: Exec = async (cmd) => {
      if (cmd.endsWith('journalctl')) return { code: 0, stdout: '-- No entries --\n', stderr: '' };
      if (cmd.endsWith('dmesg')) return { code: 0, stdout: '[    0.000000] Linux version 6.1\n', stderr: '' };
      return { code: 1, stdout: '', stderr: 'nope' };
    };
    const ctx = ctxFor(emptyRoot, { exec, which: async (c) => `/bin/${c}` });
    const data: Record<string, unknown> = {};
    await collectLogs(data, ctx);
    const archive = zlib.gunzipSync(Buffer.from(data.logs as string, 'base64'));
    const listing = execFileSync('tar', ['-t'], { input: archive }).toString().trim().split('\n');
    expect(listing).toEqual(['dmesg']);
    const content = execFileSync('tar', ['-xO', 'dmesg'], { input: archive }).toString();
    expect(content).toContain('Linux version 6.1');
  });

  test('the agent token is masked in every file, before any truncation', async () => {
    const token = 'vfVLIs3WHyW8zfvDxJgRPR4RTjnxHxEia8vNrm9R1BA';
    const filler = Array.from({ length: 1500 }, (_, n) => `line ${n}`).join('\n');
    const exec: Exec = async (cmd) => {
      if (cmd.endsWith('journalctl')) return { code: 0, stdout: `${filler}\nsystemd[1]: agent started with ${token}\n`, stderr: '' };
      if (cmd.endsWith('dmesg')) return { code: 0, stdout: `[    0.000000] Command line: BOOT_IMAGE=vmlinuz ipa-agent-token=${token} BOOTIF=01-aa\n`, stderr: '' };
      if (cmd.endsWith('ip')) return { code: 0, stdout: `ipa-agent-token=${token}\n`, stderr: '' };
      return { code: 1, stdout: '', stderr: '' };
    };
    const ctx = ctxFor(emptyRoot, { exec, which: async (c) => `/bin/${c}`, redact: tokenRedactor(token) });
    const data: Record<string, unknown> = {};
    await collectLogs(data, ctx);
    const archive = zlib.gunzipSync(Buffer.from(data.logs as string, 'base64'));
    const file = (name: string) => execFileSync('tar', ['-xO', name], { input: archive }).toString();
    expect(file('dmesg')).toContain('Command line: BOOT_IMAGE=vmlinuz ipa-agent-token=****** BOOTIF=01-aa');
    expect(file('journal')).toContain('agent started with ******');
    expect(file('ip_addr')).toBe('ipa-agent-token=******\n');
    expect(archive.toString()).not.toContain(token);
  });

  test('a note when there is nothing to send', async () => {
    const data: Record<string, unknown> = {};
    await collectLogs(data, ctxFor(emptyRoot));
    const archive = zlib.gunzipSync(Buffer.from(data.logs as string, 'base64'));
    expect(execFileSync('tar', ['-t'], { input: archive }).toString().trim()).toBe('note');
  });

  test('tar writer output is readable by tar(1)', () => {
    const archive = tar([
      { name: 'a.txt', data: 'hello\n', mtime: 0 },
      { name: 'b.txt', data: Buffer.alloc(1500, 65), mtime: 0 },
    ]);
    expect(archive.length % 512).toBe(0);
    expect(execFileSync('tar', ['-tv'], { input: archive }).toString()).toMatch(/1500 .*b\.txt/);
  });
});

describe('running collectors', () => {
  test('all collectors on a fake server validate against the schema', async () => {
    const names = ['logs', 'numa-topology', 'default', 'pci-devices', 'extra-hardware', 'lldp'];
    expect(orderCollectors(names)).toEqual(['default', 'numa-topology', 'pci-devices', 'extra-hardware', 'lldp', 'logs']);
    const result = await runCollectors(names, ctxFor(root, { bootif: 'aa:bb:cc:dd:ee:01', collectors: names }));
    expect(result.broken).toBe(false);
    expect(result.collectorErrors).toEqual({});
    const payload = result.payload;
    expect(IntrospectionDataSchema.safeParse(payload).success).toBe(true);
    expect(payload).toMatchObject({
      boot_interface: 'aa:bb:cc:dd:ee:01',
      root_disk: { name: '/dev/nvme0n1' },
      error: null,
      configuration: { collectors: names },
    });
    expect(Object.keys(payload)).toEqual(
      expect.arrayContaining(['inventory', 'numa_topology', 'pci_devices', 'data', 'logs']),
    );
    expect(payload).not.toHaveProperty('collector_errors');
  });

  test('an empty machine still gives a valid (if sparse) inventory', async () => {
    const result = await runCollectors(['default'], ctxFor(emptyRoot));
    expect(result.broken).toBe(false);
    const inventory = (result.payload as { inventory: Record<string, unknown> }).inventory;
    expect(inventory).toMatchObject({ interfaces: [], disks: [], memory: { total: null, physical_mb: null } });
    expect(result.payload).not.toHaveProperty('root_disk');
  });

  test('a failing collector is recorded and the others still run', async () => {
    const result = await runCollectors(['default', 'pci-devices', 'numa-topology'], ctxFor(emptyRoot));
    expect(result.broken).toBe(false);
    expect(result.payload.collector_errors).toEqual({ 'pci-devices': expect.stringContaining('no PCI device directory') });
    expect(IntrospectionDataSchema.safeParse(result.payload).success).toBe(true);
  });

  test('no inventory -> broken, IPA-style error payload', async () => {
    const ctx = ctxFor(root, {
      hostname: () => {
        throw new Error('hostname exploded');
      },
    });
    const result = await runCollectors(['default', 'pci-devices'], ctx);
    expect(result.broken).toBe(true);
    expect(result.payload).toEqual({
      error: expect.stringContaining('hostname exploded'),
      collector_errors: { default: 'hostname exploded' },
    });
  });

  test("the agent token is masked in what tools report (hardware-detect prints the kernel command line)", async () => {
    const token = 'vfVLIs3WHyW8zfvDxJgRPR4RTjnxHxEia8vNrm9R1BA';
    const detected = [['system', 'kernel', 'cmdline', `ro ipa-agent-token=${token} BOOTIF=01-aa`]];
    const exec: Exec = async (cmd) =>
      cmd.endsWith('hardware-detect') ? { code: 0, stdout: JSON.stringify(detected), stderr: '' } : { code: 1, stdout: '', stderr: '' };
    const ctx = ctxFor(root, {
      which: async (c) => (c === 'hardware-detect' ? '/usr/bin/hardware-detect' : null),
      exec,
      redact: tokenRedactor(token),
    });
    const result = await runCollectors(['default', 'extra-hardware'], ctx);
    expect(result.broken).toBe(false);
    expect(result.payload.data).toEqual([['system', 'kernel', 'cmdline', 'ro ipa-agent-token=****** BOOTIF=01-aa']]);
    expect(JSON.stringify(result.payload)).not.toContain(token);
  });

  test('schema violation -> broken', async () => {
    const ctx = ctxFor(root, { machine: () => undefined as unknown as string });
    const result = await runCollectors(['default'], ctx);
    expect(result.broken).toBe(true);
    expect(result.error).toMatch(/inventory\.cpu\.architecture/);
  });
});

import { diffHardware, firmwareVersion, summarizeDiff, type HardwareDiff } from '../../common/hardware-diff';
import { hex, loadPayload } from '../hooks/helpers';

// Loose on purpose: the tests edit the payload freely, as stored data may be.
type Data = Record<string, any>;
const GiB = 1024 ** 3;

/** The realistic payload, and a copy to change. */
function pair(): [Data, Data] {
  const a = loadPayload() as unknown as Data;
  return [a, structuredClone(a)];
}
const disk = (d: Data, name: string) => d.inventory.disks.find((x: { name: string }) => x.name === `/dev/${name}`)!;
const kinds = (diff: HardwareDiff) => diff.changes.map((c) => `${c.section}:${c.kind}:${c.what}`);

const dimm = (locator: string, size: string, serial = `SN-${locator}`) => ({ Locator: locator, 'Bank Locator': 'P0', Size: size, 'Serial Number': serial });
const withDimms = (d: Data, devices: object[]) => {
  d.dmi = { bios: { Version: '2.1' }, cpu: [], memory: { devices } };
  return d;
};

describe('diffHardware', () => {
  test('the same data: no change, a summary saying so', () => {
    const [a, b] = pair();
    const diff = diffHardware(a, b);
    expect(diff.changes).toEqual([]);
    const summary = summarizeDiff(diff);
    expect(summary).toMatchObject({ changed: false, total: 0, text: 'no hardware change', disks: { replaced: 0, added: 0 } });
  });

  test('a disk replaced in the same slot: by serial and WWN no match, same by_path', () => {
    const [a, b] = pair();
    Object.assign(disk(b, 'sdb'), { serial: 'Z1Z2Z3', wwn: '0x5000c500ffffffff', wwn_with_extension: '0x5000c500ffffffff' });
    const diff = diffHardware(a, b);
    expect(diff.changes).toEqual([{ section: 'disks', kind: 'replaced', what: 'sdb', from: 'W470ABCD', to: 'Z1Z2Z3' }]);
    const summary = summarizeDiff(diff);
    expect(summary.disks).toEqual({ added: 0, removed: 0, replaced: 1, resized: 0, moved: 0 });
    expect(summary.text).toBe('disk sdb serial W470ABCD->Z1Z2Z3 replaced');
  });

  test('disks matched by serial across a rename are moved, not replaced', () => {
    const [a, b] = pair();
    const sda = disk(b, 'sda');
    const sdb = disk(b, 'sdb');
    [sda.name, sdb.name] = [sdb.name, sda.name];
    [sda.hctl, sdb.hctl] = [sdb.hctl, sda.hctl];
    [sda.by_path, sdb.by_path] = [sdb.by_path, sda.by_path];
    const diff = diffHardware(a, b);
    expect(kinds(diff)).toEqual(['disks:moved:S47MNA0N312345', 'disks:moved:W470ABCD']);
    expect(diff.changes[0].from).toMatch(/^sda 0:0:0:0 /);
    expect(diff.changes[0].to).toMatch(/^sdb 1:0:0:0 /);
  });

  test('a disk without a serial on one side is matched by WWN', () => {
    const [a, b] = pair();
    Object.assign(disk(b, 'sda'), { serial: null, name: '/dev/sdx', hctl: '5:0:0:0' });
    const diff = diffHardware(a, b);
    expect(kinds(diff)).toEqual(['disks:moved:0x5002538e40a3c1b2']);
  });

  test('disks without serial or WWN are matched by name: resized; added and removed elsewhere', () => {
    const [a, b] = pair();
    for (const d of [a, b]) Object.assign(disk(d, 'sdb'), { serial: null, wwn: null, wwn_with_extension: null });
    disk(b, 'sdb').size = 2000 * 1000 ** 3;
    const removed = disk(b, 'sda');
    b.inventory.disks.splice(b.inventory.disks.indexOf(removed), 1);
    b.inventory.disks.push({ name: '/dev/nvme0n1', size: 960 * 1000 ** 3, serial: 'NV1', by_path: '/dev/disk/by-path/pci-0000:5e:00.0-nvme-1' });
    const diff = diffHardware(a, b);
    expect(diff.changes).toEqual([
      { section: 'disks', kind: 'added', what: 'nvme0n1', from: null, to: 'NV1, 894.1 GiB' },
      { section: 'disks', kind: 'removed', what: 'sda', from: 'S47MNA0N312345, 447.1 GiB', to: null },
      { section: 'disks', kind: 'resized', what: 'sdb', from: '931.5 GiB', to: '1862.6 GiB' },
    ]);
    expect(summarizeDiff(diff).disks).toEqual({ added: 1, removed: 1, replaced: 0, resized: 1, moved: 0 });
  });

  test('NICs are matched by MAC whatever its spelling', () => {
    const [a, b] = pair();
    b.inventory.interfaces[0].mac_address = '5254.00ab.cd01';
    b.inventory.interfaces[1].mac_address = '525400ABCD02';
    expect(diffHardware(a, b).changes).toEqual([]);
  });

  test('NIC added, removed and speed changed', () => {
    const [a, b] = pair();
    b.inventory.interfaces[1].speed_mbps = 25000;
    const [first] = b.inventory.interfaces.splice(0, 1);
    b.inventory.interfaces.push({ ...first, name: 'ens1f0', mac_address: 'B8:59:9F:00:00:01', lldp: null });
    const diff = diffHardware(a, b);
    expect(diff.changes).toEqual([
      { section: 'nics', kind: 'removed', what: 'eno1 52:54:00:ab:cd:01', from: 'leaf-sw-01 Ethernet1/7', to: null },
      { section: 'nics', kind: 'speed', what: 'eno2 52:54:00:ab:cd:02', from: 10000, to: 25000 },
      { section: 'nics', kind: 'added', what: 'ens1f0 b8:59:9f:00:00:01', from: null, to: 'b8:59:9f:00:00:01' },
    ].sort((x, y) => (x.what < y.what ? -1 : 1)));
  });

  test('a cable moved to another switch port (LLDP from lldp_raw, lldp_processed or the inventory)', () => {
    const [a, b] = pair();
    // The new run reports eno1's LLDP through IPA's lldp collector: port Ethernet1/12.
    b.lldp_raw = { eno1: b.inventory.interfaces[0].lldp.map(([t, v]: [number, string]) => (t === 2 ? [t, '05' + hex('Ethernet1/12')] : [t, v])) };
    const diff = diffHardware(a, b);
    expect(diff.changes).toEqual([{ section: 'nics', kind: 'moved', what: 'eno1 52:54:00:ab:cd:01', from: 'leaf-sw-01 Ethernet1/7', to: 'leaf-sw-01 Ethernet1/12' }]);
    // lldp_basic's output wins over raw TLVs.
    b.all_interfaces = { eno1: { mac: '52:54:00:ab:cd:01', lldp_processed: { switch_chassis_id: '64:1e:81:f4:1a:20', switch_port_id: 'Ethernet1/7' } } };
    expect(diffHardware(a, b).changes).toEqual([]);
    // No LLDP on one side: not known, not moved.
    delete b.all_interfaces;
    b.lldp_raw = {};
    b.inventory.interfaces[0].lldp = null;
    expect(diffHardware(a, b).changes).toEqual([]);
  });

  test('CPU, memory, system serial, BIOS and BMC firmware', () => {
    const [a, b] = pair();
    a.extra = { firmware: { bmc: { version: '3.45' } } };
    b.extra = { firmware: { bmc: { version: '3.50' } } };
    b.inventory.cpu.model_name = 'Intel(R) Xeon(R) Gold 6230';
    b.inventory.cpu.count = 40;
    b.inventory.memory.physical_mb = 32768;
    b.inventory.system_vendor.serial_number = 'CZ0000NEW';
    b.inventory.system_vendor.firmware.version = 'U30 v2.80';
    const diff = diffHardware(a, b);
    expect(kinds(diff)).toEqual([
      'system:changed:serial',
      'firmware:changed:bios',
      'firmware:changed:bmc',
      'cpu:changed:count',
      'cpu:changed:model',
      'memory:changed:total_mb',
    ]);
    expect(diff.changes.find((c) => c.what === 'bmc')).toMatchObject({ from: '3.45', to: '3.50' });
    expect(diff.changes.find((c) => c.what === 'serial')).toMatchObject({ from: a.inventory.system_vendor.serial_number, to: 'CZ0000NEW' });
    expect(diff.changes.find((c) => c.what === 'total_mb')).toMatchObject({ from: 16384, to: 32768 });
    expect(summarizeDiff(diff)).toMatchObject({ changed: true, total: 6, cpu: { changed: 2 }, firmware: { changed: 2 } });
  });

  test('firmwareVersion reads dmidecode when system_vendor has no firmware', () => {
    const [a] = pair();
    delete a.inventory.system_vendor.firmware;
    a.dmi = { bios: { Version: '1.2.3' } };
    expect(firmwareVersion(a, 'bios')).toBe('1.2.3');
    expect(firmwareVersion(a, 'bmc')).toBeNull();
  });

  test('DIMMs by slot from dmidecode: removed, replaced, resized; empty slots are absent', () => {
    const [a, b] = pair();
    withDimms(a, [dimm('A1', '16 GB'), dimm('B1', '16 GB'), dimm('C1', '8192 MB'), dimm('D1', 'No Module Installed')]);
    withDimms(b, [dimm('A1', '16 GB', 'OTHER'), dimm('B1', 'No Module Installed'), dimm('C1', '32 GB'), dimm('D1', 'No Module Installed')]);
    const diff = diffHardware(a, b);
    expect(diff.changes).toEqual([
      { section: 'dimms', kind: 'replaced', what: 'P0/A1', from: 'SN-A1', to: 'OTHER' },
      { section: 'dimms', kind: 'removed', what: 'P0/B1', from: '16 GiB', to: null },
      { section: 'dimms', kind: 'resized', what: 'P0/C1', from: '8 GiB', to: '32 GiB' },
    ]);
    expect(summarizeDiff(diff).text).toBe('DIMM P0/A1 serial SN-A1->OTHER replaced; DIMM P0/B1 removed (-16 GiB); DIMM P0/C1 resized 8 GiB->32 GiB');
  });

  test("DIMMs from the hardware collector's memory banks", () => {
    const [a, b] = pair();
    a.extra = { memory: { total: { size: 32 * GiB }, 'bank:0': { size: 16 * GiB, slot: 'DIMM_A1' }, 'bank:1': { size: 16 * GiB, slot: 'DIMM_B1' } } };
    b.extra = { memory: { total: { size: 48 * GiB }, 'bank:0': { size: 16 * GiB, slot: 'DIMM_A1' }, 'bank:1': { size: 16 * GiB, slot: 'DIMM_B1' }, 'bank:2': { size: 16 * GiB, slot: 'DIMM_C1' } } };
    expect(diffHardware(a, b).changes).toEqual([{ section: 'dimms', kind: 'added', what: 'DIMM_C1', from: null, to: '16 GiB' }]);
  });

  test('PCI devices counted by vendor:product (any case, 0x or not), moved when the addresses differ', () => {
    const gpu = (bus: string) => ({ vendor_id: '10de', product_id: '1eb8', bus });
    const nic = (bus: string) => ({ vendor_id: '0x8086', product_id: '1521', bus });
    const a = { pci_devices: [gpu('0000:3b:00.0'), nic('0000:19:00.0'), { vendor_id: '1000', product_id: '0097', bus: '0000:5e:00.0' }] };
    const b = { pci_devices: [gpu('0000:3b:00.0'), { ...gpu('0000:af:00.0'), vendor_id: '10DE', product_id: '0x1EB8' }, nic('0000:1a:00.0')] };
    expect(diffHardware(a, b).changes).toEqual([
      { section: 'pci', kind: 'removed', what: '1000:0097', from: 1, to: 0 },
      { section: 'pci', kind: 'added', what: '10de:1eb8', from: 1, to: 2 },
      { section: 'pci', kind: 'moved', what: '8086:1521', from: '0000:19:00.0', to: '0000:1a:00.0' },
    ]);
    expect(summarizeDiff(diffHardware(a, b)).pci).toEqual({ added: 1, removed: 1, moved: 1 });
  });

  test('missing sections are unknown, not errors; nothing compared is no change', () => {
    const [a] = pair();
    for (const other of [undefined, null, {}, 'text', [1, 2], { inventory: { disks: 'x', interfaces: 'y', cpu: [] } }]) {
      const diff = diffHardware(a, other);
      expect(diff.changes).toEqual([]);
      expect(diff.unknown).toEqual(expect.arrayContaining(['cpu.model', 'disks', 'dimms', 'pci', 'system.serial', 'firmware.bios']));
    }
    // Interfaces present but no usable NIC (no MAC, junk entries): compared, and every old NIC is gone.
    const diff = diffHardware(a, { inventory: { interfaces: [null, 5, { name: 'eth0' }] } });
    expect(diff.unknown).not.toContain('nics');
    expect(summarizeDiff(diff).nics.removed).toBe(2);
  });

  test('stable order and JSON-serialisable whatever the input order', () => {
    const [a, b] = pair();
    disk(b, 'sdb').size = 1;
    b.inventory.interfaces[0].speed_mbps = 1;
    b.inventory.memory.physical_mb = 1;
    const forward = diffHardware(a, b);
    const c = structuredClone(b);
    c.inventory.disks.reverse();
    c.inventory.interfaces.reverse();
    c.pci_devices.reverse();
    const reversed = diffHardware(a, c);
    expect(reversed).toEqual(forward);
    expect(JSON.parse(JSON.stringify(forward))).toEqual(forward);
    expect(forward.changes.map((x) => x.section)).toEqual(['memory', 'disks', 'nics']);
  });

  test('bounded: lists past the inventory limits are not read', () => {
    const disks = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ name: `/dev/d${i}`, size: 1, serial: i < 1024 ? `S${i}` : `${tag}${i}` }));
    const diff = diffHardware({ inventory: { disks: disks(5000, 'A') } }, { inventory: { disks: disks(5000, 'B') } });
    expect(diff.changes).toEqual([]);
  });

  test('the summary text is bounded to a few changes', () => {
    const [a, b] = pair();
    b.inventory.disks = [];
    b.inventory.interfaces = [];
    b.pci_devices = [];
    const summary = summarizeDiff(diffHardware(a, b));
    expect(summary.total).toBeGreaterThan(5);
    expect(summary.text.split('; ')).toHaveLength(6);
    expect(summary.text).toMatch(new RegExp(`; ${summary.total - 5} more$`));
  });
});

import type { Disk } from '../../common/inventory';
import { rootDiskSelectionHook } from '../../activities/hooks/root_disk_selection';
import { HookError } from '../../activities/hooks/types';
import { GiB, makeCtx, makeData } from './helpers';

const DISKS: Disk[] = [
  {
    name: '/dev/sda',
    model: 'Samsung SSD 860',
    size: 500 * GiB,
    rotational: false,
    serial: 'S3Z1NB0K123',
    vendor: 'ATA',
    wwn: '0x5002538e40a3c1b2',
    wwn_with_extension: '0x5002538e40a3c1b2',
    wwn_vendor_extension: null,
    hctl: '0:0:0:0',
    by_path: '/dev/disk/by-path/pci-0000:00:17.0-ata-1',
  },
  {
    name: '/dev/sdb',
    model: 'ST1000NX0443',
    size: 1000 * GiB,
    rotational: true,
    serial: 'W470ABCD',
    vendor: 'SEAGATE',
    wwn: '0x5000c500a1b2c3d4',
    wwn_with_extension: '0x5000c500a1b2c3d40x1122',
    wwn_vendor_extension: '0x1122',
    hctl: '1:0:0:0',
    by_path: '/dev/disk/by-path/pci-0000:00:17.0-ata-2',
  },
  {
    name: '/dev/sdc',
    model: 'Internal Dual SD',
    size: 2 * GiB,
    rotational: false,
    serial: '012345678901',
    vendor: 'DELL',
    wwn: null,
    hctl: '6:0:0:0',
    by_path: '/dev/disk/by-path/pci-0000:00:14.0-usb-0:14.1:1.0-scsi-0:0:0:0',
  },
  { name: '/dev/nvme0n1', model: 'Dell Express Flash PM1725a', size: 1600 * GiB, rotational: false, serial: 'S39XNX0K', vendor: '' },
];

function select(rootDevice: Record<string, unknown> | undefined, disks: Disk[] = DISKS, extra: Record<string, unknown> = {}, minRootDiskGiB?: number) {
  const ctx = makeCtx(makeData({ disks }, extra), {
    node: { properties: rootDevice ? { root_device: rootDevice } : {} },
    config: minRootDiskGiB === undefined ? {} : { minRootDiskGiB },
  });
  rootDiskSelectionHook.beforeUpdate!(ctx);
  return ctx;
}

const chosen = (rootDevice: Record<string, unknown>) => select(rootDevice).data.root_disk?.name;

describe('root_disk_selection without hints', () => {
  it('picks the smallest disk of at least 4 GiB', () => {
    expect(select(undefined).data.root_disk?.name).toBe('/dev/sda');
  });

  it('honours config.minRootDiskGiB', () => {
    expect(select(undefined, DISKS, {}, 600).data.root_disk?.name).toBe('/dev/sdb');
    expect(select(undefined, DISKS, {}, 1).data.root_disk?.name).toBe('/dev/sdc');
  });

  it('counts the minimum in GiB, inclusive', () => {
    const disks = [{ name: '/dev/vda', size: 4 * GiB - 1 }, { name: '/dev/vdb', size: 4 * GiB }];
    expect(select(undefined, disks).data.root_disk?.name).toBe('/dev/vdb');
  });

  it('keeps the root disk chosen by the agent', () => {
    const agentChoice = DISKS[1];
    expect(select(undefined, DISKS, { root_disk: agentChoice }).data.root_disk?.name).toBe('/dev/sdb');
  });

  it('chooses nothing when every disk is too small', () => {
    expect(select(undefined, [DISKS[2]]).data.root_disk).toBeUndefined();
  });

  it('skips when there are no disks, even with hints', () => {
    expect(select(undefined, []).data.root_disk).toBeUndefined();
    expect(select({ size: 500 }, []).data.root_disk).toBeUndefined();
  });

  it('treats an empty hints object as no hints', () => {
    expect(select({}).data.root_disk?.name).toBe('/dev/sda');
  });
});

describe('root_disk_selection with hints', () => {
  it('replaces the agent choice with the hinted disk', () => {
    expect(select({ serial: 'W470ABCD' }, DISKS, { root_disk: DISKS[0] }).data.root_disk?.name).toBe('/dev/sdb');
  });

  describe('size (GiB)', () => {
    it.each([
      [1000, '/dev/sdb'],
      ['1000', '/dev/sdb'],
      ['== 2', '/dev/sdc'],
      ['!= 500', '/dev/sdb'],
      ['>= 1000', '/dev/sdb'],
      ['> 1000', '/dev/nvme0n1'],
      ['<= 500', '/dev/sda'],
      ['< 500', '/dev/sdc'],
      ['= 600', '/dev/sdb'], // legacy "=" means >=
      ['<or> 2 <or> 1600', '/dev/sdc'],
    ])('size %p → %s', (hint, name) => {
      expect(chosen({ size: hint })).toBe(name);
    });

    it('compares the exact size, not a rounded one', () => {
      const disks = [{ name: '/dev/vda', size: 10 * GiB + 512 * 1024 ** 2 }];
      expect(() => select({ size: 10 }, disks)).toThrow(HookError);
      expect(select({ size: '> 10' }, disks).data.root_disk?.name).toBe('/dev/vda');
    });
  });

  describe('string operators', () => {
    // Compared lower-cased and URL-quoted: 'samsung%20ssd%20860', 'st1000nx0443',
    // 'internal%20dual%20sd', 'dell%20express%20flash%20pm1725a' (disk order).
    it.each([
      ['s== ST1000NX0443', '/dev/sdb'],
      ['st1000nx0443', '/dev/sdb'], // plain value: case-insensitive equality
      ['  ST1000NX0443 ', '/dev/sdb'],
      ['s!= Samsung SSD 860', '/dev/sdb'],
      ['s>= Samsung', '/dev/sda'],
      ['s> Samsung SSD 860', '/dev/sdb'],
      ['s<= Internal Dual SD', '/dev/sdc'],
      ['s<= Dell Express Flash PM1725a', '/dev/nvme0n1'],
      ['s< J', '/dev/sdc'],
      ['<in> Dual', '/dev/sdc'],
      ['<or> foo <or> ST1000NX0443', '/dev/sdb'],
      ['<or> Internal Dual SD <or> bar', '/dev/sdc'],
    ])('model %p → %s', (hint, name) => {
      expect(chosen({ model: hint })).toBe(name);
    });

    it.each(['s< Dell', 's== Samsung', '<in> hitachi', '<or> a <or> b', 's> zzz'])('model %p matches nothing', (hint) => {
      expect(() => chosen({ model: hint })).toThrow(HookError);
    });
  });

  describe('every hint name', () => {
    it.each([
      [{ name: '/dev/sdb' }, '/dev/sdb'],
      [{ name: 'sdb' }, '/dev/sdb'],
      [{ name: 's== nvme0n1' }, '/dev/nvme0n1'],
      [{ name: '<or> sdx <or> /dev/sdc' }, '/dev/sdc'],
      [{ name: '<in> nvme' }, '/dev/nvme0n1'],
      [{ model: 'Internal Dual SD' }, '/dev/sdc'],
      [{ vendor: 'seagate' }, '/dev/sdb'],
      [{ serial: 'S3Z1NB0K123' }, '/dev/sda'],
      [{ wwn: '0x5000c500a1b2c3d4' }, '/dev/sdb'],
      [{ wwn_with_extension: '0x5000c500a1b2c3d40x1122' }, '/dev/sdb'],
      [{ wwn_vendor_extension: '0x1122' }, '/dev/sdb'],
      [{ rotational: true }, '/dev/sdb'],
      [{ rotational: 'false' }, '/dev/sda'],
      [{ rotational: false, size: '> 600' }, '/dev/nvme0n1'],
      [{ hctl: '6:0:0:0' }, '/dev/sdc'],
      [{ by_path: '/dev/disk/by-path/pci-0000:00:17.0-ata-2' }, '/dev/sdb'],
      [{ vendor: 'ata', rotational: false, size: '>= 100' }, '/dev/sda'],
    ])('%j → %s', (hints, name) => {
      expect(chosen(hints)).toBe(name);
    });
  });

  it('requires every hint to match', () => {
    expect(() => chosen({ vendor: 'ata', rotational: true })).toThrow(HookError);
  });

  it('skips disks whose attribute is empty or missing', () => {
    // nvme0n1 has vendor '' and no hctl: it can never match a hint on them
    const disks = [DISKS[3], DISKS[2]];
    expect(select({ vendor: 's!= ata' }, disks).data.root_disk?.name).toBe('/dev/sdc');
    expect(select({ hctl: 's!= 0:0:0:0' }, disks).data.root_disk?.name).toBe('/dev/sdc');
  });

  it('fails naming the hints when no disk matches', () => {
    expect(() => chosen({ serial: 'NOPE', size: 1000 })).toThrow(
      new HookError('No disks satisfied root device hints {"serial":"NOPE","size":1000}'),
    );
  });

  it.each([
    [{ colour: 'red' }, 'The hint "colour" is invalid'],
    [{ size: 'big' }, 'should be a positive integer'],
    [{ size: 0 }, 'should be a positive integer'],
    [{ size: 's== 500' }, 'does not support the operator s=='],
    [{ rotational: 'maybe' }, 'not a Boolean'],
    [{ model: '' }, 'expression is empty'],
    [{ model: 's==' }, 'has an operator but no value'],
    [{ serial: { a: 1 } }, 'is not a string'],
    [{ model: '>= 5' }, 'Cannot compare'],
  ])('rejects invalid hints %j', (hints, message) => {
    expect(() => chosen(hints)).toThrow(HookError);
    expect(() => chosen(hints)).toThrow(message);
  });
});

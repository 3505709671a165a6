import type { Disk } from '../../common/inventory';
import { rootDiskSelectionHook } from '../../activities/hooks/root_disk_selection';
import { HookError } from '../../activities/hooks/types';
import { GiB, makeCtx, makeData } from './helpers';

// root_disk_selection with node.properties.skip_block_devices (Ironic's list of root device hints).

const disk = (name: string, size: number, extra: Partial<Disk> = {}): Disk => ({ name, size: size * GiB, rotational: false, ...extra });
const DISKS = [
  disk('/dev/sda', 100, { serial: 'A', vendor: 'ATA' }),
  disk('/dev/sdb', 200, { serial: 'B', vendor: 'ATA' }),
  disk('/dev/nvme0n1', 50, { serial: 'N', vendor: 'Samsung' }),
  disk('/dev/md0', 150, { serial: null }),
];

function run(properties: Record<string, unknown>, rootDisk?: Disk) {
  const ctx = makeCtx(makeData({ disks: DISKS }, rootDisk ? { root_disk: rootDisk } : {}), { node: { properties } });
  rootDiskSelectionHook.beforeUpdate!(ctx);
  return ctx;
}

describe('skip_block_devices', () => {
  it('a skipped disk is not matched by the root device hints', () => {
    const ctx = run({ root_device: { vendor: 'ATA' }, skip_block_devices: [{ name: '/dev/sda' }] });
    expect(ctx.data.root_disk?.name).toBe('/dev/sdb');
  });

  it('several hints, each matching several disks, all skip', () => {
    const ctx = run({ root_device: { size: '>= 10' }, skip_block_devices: [{ vendor: 'ATA' }, { name: 'nvme0n1' }] });
    expect(ctx.data.root_disk?.name).toBe('/dev/md0');
  });

  it('hints only satisfied by skipped disks fail the introspection', () => {
    expect(() => run({ root_device: { serial: 'A' }, skip_block_devices: [{ serial: 'A' }] })).toThrow('No disks satisfied root device hints {"serial":"A"}');
  });

  it('without hints, the smallest unskipped disk is chosen, and the agent’s choice is dropped when skipped', () => {
    expect(run({ skip_block_devices: [{ name: '/dev/nvme0n1' }] }).data.root_disk?.name).toBe('/dev/sda');
    expect(run({ skip_block_devices: [{ name: '/dev/nvme0n1' }] }, DISKS[2]).data.root_disk?.name).toBe('/dev/sda');
    // the agent's choice stands when not skipped
    expect(run({ skip_block_devices: [{ name: '/dev/sda' }] }, DISKS[1]).data.root_disk?.name).toBe('/dev/sdb');
  });

  it('every disk skipped: no root disk, as a diskless node', () => {
    const ctx = run({ skip_block_devices: [{ size: '>= 1' }] }, DISKS[2]);
    expect(ctx.data.root_disk).toBeUndefined();
  });

  it('an empty list skips nothing', () => {
    expect(run({ skip_block_devices: [] }).data.root_disk?.name).toBe('/dev/nvme0n1');
  });

  it.each([
    [{ name: '/dev/sda' }, /skip_block_devices must be a list of root device hints, not \{"name":"\/dev\/sda"\}/],
    [['/dev/sda'], /skip_block_devices must be a list of root device hints/],
    [[{ colour: 'red' }], /skip_block_devices hint \{"colour":"red"\} is invalid: The hint "colour" is invalid/],
  ])('%j is an error naming skip_block_devices', (skip, message) => {
    let error: unknown;
    try {
      run({ skip_block_devices: skip });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HookError);
    expect((error as Error).message).toMatch(message);
  });
});

describe('root_device set earlier in the same run', () => {
  it('a hint in the patch (raid_device) wins over the node’s', () => {
    const ctx = makeCtx(makeData({ disks: DISKS }), { node: { properties: { root_device: { serial: 'A' } } } });
    ctx.patch.properties.root_device = { serial: 'B' };
    rootDiskSelectionHook.beforeUpdate!(ctx);
    expect(ctx.data.root_disk?.name).toBe('/dev/sdb');
  });
});

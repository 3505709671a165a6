import { raidDeviceHook } from '../../activities/hooks/raid_device';
import type { HookNode } from '../../activities/hooks/types';
import { GiB, makeCtx, makeData } from './helpers';

const disk = (name: string, serial: string | null) => ({ name, size: 100 * GiB, serial });
const BEFORE = [disk('/dev/sda', 'S1'), disk('/dev/sdb', 'S2'), disk('/dev/sdc', null)];

function run(disks: unknown[], node: Partial<HookNode> = {}) {
  const ctx = makeCtx(makeData({ disks }), { node });
  raidDeviceHook.beforeProcessing!(ctx);
  raidDeviceHook.beforeUpdate!(ctx);
  return ctx;
}

describe('raid_device', () => {
  it('first run: remembers the disk serials in extra.block_devices', () => {
    const ctx = run(BEFORE);
    expect(ctx.patch.extra).toEqual({ block_devices: { serials: ['S1', 'S2'] } });
    expect(ctx.patch.properties).toEqual({});
  });

  it('next run: the one new serial becomes the root device hint and extra.block_devices goes', () => {
    const ctx = run([...BEFORE, disk('/dev/sdd', 'RAID-1')], { extra: { block_devices: { serials: ['S1', 'S2'] }, other: 1 } });
    expect(ctx.patch.properties).toEqual({ root_device: { serial: 'RAID-1' } });
    expect(Object.keys(ctx.patch.extra)).toEqual(['block_devices']);
    expect(ctx.patch.extra.block_devices).toBeUndefined(); // removed when stored
  });

  it.each([
    ['no new device', BEFORE],
    ['several new devices', [...BEFORE, disk('/dev/sdd', 'R1'), disk('/dev/sde', 'R2')]],
  ])('%s: nothing is decided, the saved serials stay', (_, disks) => {
    const ctx = run(disks, { extra: { block_devices: { serials: ['S1', 'S2'] } } });
    expect(ctx.patch.properties).toEqual({});
    expect(ctx.patch.extra).toEqual({});
  });

  it('a node with root_device hints is left alone', () => {
    const ctx = run(BEFORE, { properties: { root_device: { name: '/dev/sda' } } });
    expect(ctx.patch).toMatchObject({ properties: {}, extra: {} });
  });

  it('no disk with a serial: nothing', () => {
    expect(run([disk('/dev/sda', null), disk('/dev/sdb', '')]).patch.extra).toEqual({});
  });

  it('stands in local_gb = 1 when the data has none, keeps one it has', () => {
    expect(run(BEFORE).data.local_gb).toBe(1);
    const ctx = makeCtx(makeData({ disks: BEFORE }, { local_gb: 200 }));
    raidDeviceHook.beforeProcessing!(ctx);
    expect(ctx.data.local_gb).toBe(200);
  });
});

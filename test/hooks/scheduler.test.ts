import { schedulerHook } from '../../activities/hooks/scheduler';
import { HookError } from '../../activities/hooks/types';
import { GiB, makeCtx, makeData } from './helpers';

function run(inventory: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const ctx = makeCtx(makeData(inventory, extra));
  schedulerHook.beforeUpdate!(ctx);
  return ctx;
}

describe('scheduler', () => {
  it('sets cpus, cpu_arch, memory_mb and local_gb (root disk GiB - 1)', () => {
    const ctx = run(
      { cpu: { count: 32, architecture: 'x86_64', flags: [] }, memory: { total: 16663322624, physical_mb: 16384 } },
      { root_disk: { name: '/dev/sda', size: 480103981056 } }, // 447.13 GiB
    );
    expect(ctx.patch.properties).toEqual({ cpus: 32, cpu_arch: 'x86_64', memory_mb: 16384, local_gb: 446 });
    expect(ctx.data).toMatchObject({ cpus: 32, cpu_arch: 'x86_64', memory_mb: 16384, local_gb: 446 });
  });

  it('falls back to total memory in MiB when physical_mb is missing', () => {
    const ctx = run({ memory: { total: 16663322624 } });
    expect(ctx.patch.properties.memory_mb).toBe(15891); // floor(16663322624 / 2^20)
  });

  it.each([
    [undefined, 0],
    [{ name: '/dev/vda', size: 512 * 1024 ** 2 }, 0], // under 1 GiB: 0, not -1
    [{ name: '/dev/vda', size: GiB }, 0],
    [{ name: '/dev/vda', size: 2 * GiB - 1 }, 0],
    [{ name: '/dev/vda', size: 2 * GiB }, 1],
    [{ name: '/dev/vda', size: 100 * GiB }, 99],
  ])('root disk %j → local_gb %d', (rootDisk, localGb) => {
    expect(run({}, rootDisk ? { root_disk: rootDisk } : {}).patch.properties.local_gb).toBe(localGb);
  });

  it.each([
    [{ cpu: { architecture: 'x86_64', flags: [] } }, 'cpus (inventory.cpu.count)'],
    [{ cpu: { count: 0, architecture: 'x86_64', flags: [] } }, 'cpus (inventory.cpu.count)'],
    [{ cpu: { count: 4, architecture: '', flags: [] } }, 'cpu_arch (inventory.cpu.architecture)'],
    [{ memory: {} }, 'memory_mb (inventory.memory.physical_mb or total)'],
    [{ memory: { physical_mb: null, total: 0 } }, 'memory_mb (inventory.memory.physical_mb or total)'],
  ])('fails naming the missing field for %j', (inventory, field) => {
    expect(() => run(inventory)).toThrow(HookError);
    expect(() => run(inventory)).toThrow(`The following required parameters are missing: ${field}`);
  });

  it('names every missing field at once', () => {
    expect(() => run({ cpu: {}, memory: {} })).toThrow(
      'missing: cpus (inventory.cpu.count), cpu_arch (inventory.cpu.architecture), memory_mb (inventory.memory.physical_mb or total)',
    );
  });

  it('overwrites existing node values', () => {
    const ctx = makeCtx(makeData(), { node: { properties: { cpus: 2, memory_mb: 1024 } } });
    schedulerHook.beforeUpdate!(ctx);
    expect(ctx.patch.properties).toMatchObject({ cpus: 4, memory_mb: 8192 });
  });
});

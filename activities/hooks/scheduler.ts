import { memoryMib } from '../../common/inventory';
import { GiB, requireInventory } from './helpers';
import { HookError, type ProcessingHook } from './types';

/**
 * The properties the scheduler needs: cpus, cpu_arch, memory_mb, local_gb.
 * local_gb is the root disk size in whole GiB minus 1 (ironic-inspector's
 * disk_partitioning_spacing), 0 without a root disk or for one under 1 GiB.
 * Values are also recorded in the processed data, as ironic-inspector does.
 */
export const schedulerHook: ProcessingHook = {
  name: 'scheduler',
  beforeUpdate(ctx) {
    const inventory = requireInventory(ctx);
    const cpu = inventory.cpu as Partial<typeof inventory.cpu> | undefined;
    const memory = inventory.memory as Partial<typeof inventory.memory> | undefined;
    const missing: string[] = [];

    const count = Number(cpu?.count);
    const cpus = Number.isInteger(count) && count > 0 ? count : null;
    if (cpus === null) missing.push('cpus (inventory.cpu.count)');

    const arch = typeof cpu?.architecture === 'string' && cpu.architecture.trim() ? cpu.architecture.trim() : null;
    if (arch === null) missing.push('cpu_arch (inventory.cpu.architecture)');

    const memoryMb = memoryMib(memory);
    if (memoryMb === null) missing.push('memory_mb (inventory.memory.physical_mb or total)');

    if (missing.length > 0) {
      throw new HookError(`The following required parameters are missing: ${missing.join(', ')}`);
    }

    const rootDisk = ctx.data.root_disk;
    let localGb = 0;
    if (rootDisk && typeof rootDisk.size === 'number') {
      localGb = Math.floor(rootDisk.size / GiB);
      if (localGb > 0) localGb -= 1;
    }

    const props = { cpus: cpus!, cpu_arch: arch!, memory_mb: memoryMb!, local_gb: localGb };
    Object.assign(ctx.data, props);
    Object.assign(ctx.patch.properties, props);
  },
};

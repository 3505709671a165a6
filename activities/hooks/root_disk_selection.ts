import type { Disk } from '../../common/inventory';
import { GiB, isPlainObject, requireInventory } from './helpers';
import { InvalidHintError, matchRootDeviceHints } from './root-device-hints';
import { HookError, type ProcessingHook } from './types';

/**
 * Chooses data.root_disk. With node.properties.root_device hints: the first disk
 * satisfying all of them (none → error). Without hints: the root disk the agent
 * chose, else the smallest disk of at least config.minRootDiskGiB (as the agent
 * does). No disks at all → nothing is chosen (the node is treated as diskless).
 * Must run before `scheduler`, which derives local_gb from data.root_disk.
 */
export const rootDiskSelectionHook: ProcessingHook = {
  name: 'root_disk_selection',
  beforeUpdate(ctx) {
    const inventory = requireInventory(ctx);
    const disks: Disk[] = Array.isArray(inventory.disks) ? inventory.disks : [];
    if (disks.length === 0) return;

    const hints = ctx.node.properties.root_device;
    if (isPlainObject(hints) && Object.keys(hints).length > 0) {
      let disk: Disk | null;
      try {
        disk = matchRootDeviceHints(disks, hints);
      } catch (e) {
        if (e instanceof InvalidHintError) {
          throw new HookError(
            `No disks could be found using the root device hints ${JSON.stringify(hints)} because they failed to validate: ${e.message}`,
          );
        }
        throw e;
      }
      if (!disk) throw new HookError(`No disks satisfied root device hints ${JSON.stringify(hints)}`);
      ctx.data.root_disk = disk;
      return;
    }

    if (ctx.data.root_disk) return; // the agent's own choice stands, as in ironic-inspector

    const minBytes = ctx.config.minRootDiskGiB * GiB;
    let best: Disk | null = null;
    for (const disk of disks) {
      if (typeof disk.size !== 'number' || disk.size < minBytes) continue;
      if (!best || disk.size < best.size) best = disk;
    }
    if (best) ctx.data.root_disk = best;
  },
};

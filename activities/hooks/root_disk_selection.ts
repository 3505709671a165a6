import type { Disk } from '../../common/inventory';
import { GiB, isPlainObject, requireInventory } from './helpers';
import { InvalidHintError, matchRootDeviceHints } from './root-device-hints';
import { HookError, type HookContext, type ProcessingHook } from './types';

/**
 * The disks node.properties.skip_block_devices (a list of root device hints, as
 * Ironic's) names: a disk any of the hints matches is never the root disk.
 */
function skippedDisks(ctx: HookContext, disks: Disk[]): Set<string> {
  const skip = ctx.node.properties.skip_block_devices;
  const skipped = new Set<string>();
  if (skip === undefined || skip === null) return skipped;
  if (!Array.isArray(skip) || !skip.every(isPlainObject)) {
    throw new HookError(`skip_block_devices must be a list of root device hints, not ${JSON.stringify(skip)}`);
  }
  for (const hints of skip) {
    for (const disk of disks) {
      try {
        if (matchRootDeviceHints([disk], hints)) skipped.add(disk.name);
      } catch (e) {
        if (e instanceof InvalidHintError) throw new HookError(`skip_block_devices hint ${JSON.stringify(hints)} is invalid: ${e.message}`);
        throw e;
      }
    }
  }
  return skipped;
}

/**
 * Chooses data.root_disk among the disks skip_block_devices does not name. With
 * root_device hints (set by an earlier hook of this run, else the node's): the first
 * disk satisfying all of them (none → error). Without hints: the root disk the
 * agent chose, else the smallest disk of at least config.minRootDiskGiB (as the
 * agent does). No disks at all → nothing is chosen (the node is treated as diskless).
 * Must run before `scheduler`, which derives local_gb from data.root_disk.
 */
export const rootDiskSelectionHook: ProcessingHook = {
  name: 'root_disk_selection',
  beforeUpdate(ctx) {
    const inventory = requireInventory(ctx);
    const all: Disk[] = Array.isArray(inventory.disks) ? inventory.disks : [];
    if (all.length === 0) return;
    const skipped = skippedDisks(ctx, all);
    const disks = all.filter((d) => !skipped.has(d.name));

    const hints = ctx.patch.properties.root_device ?? ctx.node.properties.root_device;
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

    // The agent's own choice stands, as in ironic-inspector, unless the node skips that disk (IPA would have).
    if (ctx.data.root_disk && !skipped.has(ctx.data.root_disk.name)) return;

    const minBytes = ctx.config.minRootDiskGiB * GiB;
    let best: Disk | null = null;
    for (const disk of disks) {
      if (typeof disk.size !== 'number' || disk.size < minBytes) continue;
      if (!best || disk.size < best.size) best = disk;
    }
    if (best) ctx.data.root_disk = best;
    else delete ctx.data.root_disk;
  },
};

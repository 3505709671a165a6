import { isPlainObject, requireInventory } from './helpers';
import type { HookContext, ProcessingHook } from './types';

/** The serials of the disks this run found. */
function currentSerials(ctx: HookContext): string[] {
  const { disks } = requireInventory(ctx);
  if (!Array.isArray(disks)) return [];
  return disks.map((d) => d?.serial).filter((s): s is string => typeof s === 'string' && s.length > 0);
}

function savedSerials(value: unknown): unknown[] | null {
  if (!isPlainObject(value)) return null;
  return Array.isArray(value.serials) ? value.serials : [];
}

/**
 * ironic-inspector's raid_device: learns the root device of a node whose RAID
 * volume the BMC does not describe, over two introspections around the RAID
 * creation. The first stores the disk serials in extra.block_devices; the next
 * one, if exactly one new serial appeared, sets properties.root_device =
 * {serial} and removes extra.block_devices. Nothing happens when the node already
 * has root_device hints. Run it before root_disk_selection, which then uses the
 * new hint in the same run.
 */
export const raidDeviceHook: ProcessingHook = {
  name: 'raid_device',
  beforeProcessing(ctx) {
    // ironic-inspector's stand-in for a node with no volume yet; scheduler replaces it.
    if (!ctx.data.local_gb) ctx.data.local_gb = 1;
  },
  beforeUpdate(ctx) {
    const current = currentSerials(ctx);
    if (current.length === 0) return;
    if ('root_device' in ctx.node.properties) return;

    const previous = savedSerials(ctx.node.extra.block_devices);
    if (!previous) {
      ctx.patch.extra.block_devices = { serials: current };
      return;
    }
    const added = current.filter((serial) => !previous.includes(serial));
    if (added.length !== 1) return; // none, or more than one: the root device cannot be told
    ctx.patch.extra.block_devices = undefined;
    ctx.patch.properties.root_device = { serial: added[0] };
  },
};

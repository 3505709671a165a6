import { diffHardware, summarizeDiff } from '../../common/hardware-diff';
import type { ProcessingHook } from './types';

/**
 * Records in data.hardware_changes what changed in the node's hardware since the data processed
 * last (node.previousData: the stored `inspector_data-<uuid>` this run replaces), for the rules
 * (e.g. `data://hardware_changes.disks.replaced`). The first introspection compares nothing.
 */
export const hardwareChangesHook: ProcessingHook = {
  name: 'hardware_changes',
  beforeUpdate(ctx) {
    const previous = ctx.node.previousData;
    const summary = summarizeDiff(diffHardware(previous ?? null, ctx.data));
    ctx.data.hardware_changes = previous ? summary : { ...summary, text: 'no previous introspection to compare with' };
  },
};

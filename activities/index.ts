import { bulkActivities } from './bulk';
import type { ActivityDeps } from './deps';
import { nodeStateActivities } from './node-state';
import { outOfBandActivities } from './out-of-band';
import { powerActivities } from './power';
import { processingActivities } from './processing';

export type { ActivityDeps } from './deps';

/** Every activity the workflows call, bound to one worker's dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...nodeStateActivities(deps),
    ...powerActivities(deps),
    ...processingActivities(deps),
    ...bulkActivities(deps),
    ...outOfBandActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** The activities that talk to BMCs: they run on the rate-limited BMC task queue. */
export const BMC_ACTIVITY_NAMES = ['setBootDevicePxe', 'bootNode', 'powerOffNode', 'checkBmc', 'powerOnNode', 'setNodeBootDevice', 'readInventoryOutOfBand'] as const;

import type { ActivityDeps } from './deps';
import { nodeStateActivities } from './node-state';
import { powerActivities } from './power';
import { processingActivities } from './processing';

export type { ActivityDeps } from './deps';

/** Every activity the workflows call, bound to one worker's dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...nodeStateActivities(deps),
    ...powerActivities(deps),
    ...processingActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;

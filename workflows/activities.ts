import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { bmcTaskQueue } from './definitions';

// The activities as the workflows see them, each kind with its timeouts and retries.

/** Node registry writes: short, and retried generously (a locked database clears quickly). */
export const registry = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumAttempts: 10 },
});

/** Hooks, rules and S3: bounded retries, then the introspection fails with the hook's error. */
export const processing = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '2 seconds', maximumAttempts: 3 },
});

/**
 * BMC calls run on their own task queue, rate-limited across all workers. The driver already
 * retries each ipmitool call; these retries cover a worker or BMC hiccup. A function, because
 * the queue name derives from the running workflow's own.
 */
export const bmcActivities = () =>
  proxyActivities<Activities>({
    taskQueue: bmcTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: '2 minutes',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 3 },
  });

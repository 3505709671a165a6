import { ActivityCancellationType, proxyActivities, proxyLocalActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { bmcTaskQueue } from './definitions';

// The activities as the workflows see them, each kind with its timeouts and retries. Timeouts
// are short enough that work a crashed worker held resumes elsewhere within 30 s. Activities
// classify their own failures (activities/failures.ts): what another attempt cannot fix
// (unknown node, bad driver_info, a BMC error after the driver's own bounded retries) is not retried.

const registryOptions: ActivityOptions = {
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 10 },
};
/** Node registry writes: short, and retried generously (a locked database clears quickly). */
export const registry = proxyActivities<Activities>(registryOptions);

const processingOptions: ActivityOptions = {
  startToCloseTimeout: '25 seconds',
  retry: { initialInterval: '2 seconds', maximumAttempts: 3 },
};

/** Hooks, rules and S3: bounded retries, then the introspection fails with the hook's error. */
export const processing = proxyActivities<Activities>(processingOptions);
/** The same, but a cancelled run waits until the processing has really stopped before it powers off. */
export const processingToTheEnd = proxyActivities<Activities>({ ...processingOptions, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED });

// The same, as local activities: run by the worker that runs the workflow, within its workflow
// task, so without a round trip through the server each (a transfer task, an activity task, a
// workflow task). They are safe to run again: a worker lost mid-way has the workflow task, and
// with it the step, retried elsewhere.
export const localRegistry = proxyLocalActivities<Activities>(registryOptions);
export const localProcessingToTheEnd = proxyLocalActivities<Activities>({ ...processingOptions, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED });

/**
 * BMC calls run on their own task queue, rate-limited across all workers. They heartbeat, so a
 * lost worker is noticed within 15 s; the start-to-close covers the slowest legitimate boot
 * (power off, confirmed; PXE armed and read back; power on, confirmed, each with the driver's
 * bounded retries). `WAIT_CANCELLATION_COMPLETED`: an aborted run powers off only after the BMC
 * command in flight has stopped, so the power-off is the last command. A function, because the
 * queue name derives from the running workflow's own.
 */
export const bmcActivities = (cancellationType: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL) =>
  proxyActivities<Activities>({
    taskQueue: bmcTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: '15 minutes',
    heartbeatTimeout: '15 seconds',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 3 },
    cancellationType,
  });

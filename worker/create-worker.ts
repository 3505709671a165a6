import { NativeConnection, Worker } from '@temporalio/worker';
import { BMC_ACTIVITY_NAMES, createActivities } from '../activities';
import { bmcSettings } from '../activities/bmc';
import { processingSettings } from '../activities/hooks/settings';
import { databaseUrl, type Config } from '../common/config';
import { objectStoreFor } from '../common/services';
import { log } from '../common/log';
import { ensureSearchAttributes } from '../common/search-attributes';
import { followApiKey, temporalConnectionOptions } from '../common/temporal';
import { openRegistry } from '../nodes';
import { pxeFilterFor } from '../pxe/filter';
import { bmcTaskQueue } from '../workflows/definitions';

export interface Workers {
  /** Resolves when both workers have stopped (after shutdown() or a signal). */
  run(): Promise<void>;
  shutdown(): void;
  close(): Promise<void>;
}

/**
 * Two workers in one process: the main task queue (workflows and every non-BMC activity) and
 * the BMC task queue, whose activities/second limit the server enforces across all workers.
 */
export async function createWorkers(config: Config): Promise<Workers> {
  const processing = processingSettings(config); // a bad setting fails here, before anything is opened
  const registry = await openRegistry(databaseUrl(config));
  const store = objectStoreFor(config);
  await store.ensureBucket();
  const pxeFilter = pxeFilterFor(config, registry);
  await pxeFilter?.sync(); // a hostsdir that cannot be written fails here, and dnsmasq answers no one before
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  const stopFollowingKey = followApiKey(config, [connection], (message) => log().warn(message));
  const added = await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
  if (added.length) log().info(`added the search attributes ${added.join(', ')} to namespace ${config.TEMPORAL_NAMESPACE}`);
  const activities = createActivities({
    registry,
    store,
    bmc: bmcSettings(config),
    processing,
    powerOffAfter: config.PROCESSING_POWER_OFF,
    historyKeep: config.HISTORY_KEEP,
    pxeFilter,
  });
  const bmcNames = new Set<string>(BMC_ACTIVITY_NAMES);
  const pick = (bmc: boolean) => Object.fromEntries(Object.entries(activities).filter(([name]) => bmcNames.has(name) === bmc));

  const main = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowsPath: require.resolve('../workflows'),
    activities: pick(false),
  });
  const bmc = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: bmcTaskQueue(config.TEMPORAL_TASK_QUEUE),
    activities: pick(true),
    maxTaskQueueActivitiesPerSecond: config.BMC_COMMANDS_PER_SECOND,
  });
  // Runs open and close through the activities; this catches ports added or deleted meanwhile.
  const filterTimer =
    pxeFilter &&
    setInterval(() => {
      pxeFilter.sync().catch((err) => log().error({ err }, 'PXE filter sync failed'));
    }, config.PXE_FILTER_SYNC_SECONDS * 1000);
  return {
    run: async () => {
      await Promise.all([main.run(), bmc.run()]);
    },
    shutdown: () => {
      if (filterTimer) clearInterval(filterTimer);
      for (const w of [main, bmc]) if (w.getState() === 'RUNNING') w.shutdown();
    },
    close: async () => {
      stopFollowingKey();
      if (filterTimer) clearInterval(filterTimer);
      await pxeFilter?.idle();
      await connection.close();
      store.destroy();
      await registry.close();
    },
  };
}

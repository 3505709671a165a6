import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { DEFAULT_PROCESSING_CONFIG } from '../activities/hooks';
import { databaseUrl, type Config } from '../common/config';
import { objectStoreFor } from '../common/services';
import { findTool } from '../common/tools';
import { openRegistry } from '../nodes';

/** A worker for the introspection task queue with its registry, object store and BMC settings. */
export async function createWorker(config: Config): Promise<{ worker: Worker; close: () => Promise<void> }> {
  const registry = await openRegistry(databaseUrl(config));
  const store = objectStoreFor(config);
  await store.ensureBucket();
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowsPath: require.resolve('../workflows'),
    activities: createActivities({
      registry,
      store,
      bmc: { ipmitoolPath: findTool('ipmitool', config.INTROSPECTOR_TOOLS_DIR), defaultCipherSuite: config.IPMI_CIPHER_SUITE },
      processing: DEFAULT_PROCESSING_CONFIG,
    }),
  });
  const close = async () => {
    await connection.close();
    store.destroy();
    await registry.close();
  };
  return { worker, close };
}

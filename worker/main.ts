import { loadConfig } from '../common/config';
import { createWorkers } from './create-worker';
import { serveWorkerMetrics } from './metrics';

async function main() {
  const config = loadConfig();
  const metrics = await serveWorkerMetrics(config);
  const workers = await createWorkers(config);
  console.log(`worker polling task queues ${config.TEMPORAL_TASK_QUEUE} and its BMC queue on ${config.TEMPORAL_ADDRESS}`);
  await workers.run(); // returns after SIGINT/SIGTERM, which the SDK handles by draining
  await workers.close();
  metrics.close();
}

main().catch((err) => {
  console.error(`worker failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

import { loadConfig } from '../common/config';
import { createLogger, log, setLogger } from '../common/log';
import { createWorkers } from './create-worker';
import { serveWorkerMetrics } from './metrics';

async function main() {
  const config = loadConfig();
  setLogger(createLogger('worker', config.LOG_LEVEL));
  const metrics = await serveWorkerMetrics(config);
  const workers = await createWorkers(config);
  log().info(`worker polling task queues ${config.TEMPORAL_TASK_QUEUE} and its BMC queue on ${config.TEMPORAL_ADDRESS}`);
  await workers.run(); // returns after SIGINT/SIGTERM, which the SDK handles by draining
  await workers.close();
  metrics.close();
}

main().catch((err) => {
  log().fatal({ err }, 'worker failed');
  process.exit(1);
});

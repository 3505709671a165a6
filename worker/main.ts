import { loadConfig } from '../common/config';
import { createWorker } from './create-worker';

async function main() {
  const config = loadConfig();
  const { worker, close } = await createWorker(config);
  console.log(`worker polling task queue ${config.TEMPORAL_TASK_QUEUE} on ${config.TEMPORAL_ADDRESS}`);
  await worker.run(); // returns after SIGINT/SIGTERM, which the SDK handles by draining
  await close();
}

main().catch((err) => {
  console.error(`worker failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

import { loadConfig } from '../common/config';
import { startApi } from './server';

async function main() {
  const config = loadConfig();
  const api = await startApi(config);
  console.log(`inspector API on http://${config.API_HOST}:${api.inspectorPort}, node API on http://${config.API_HOST}:${api.nodePort}`);
  const stop = () => void api.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  console.error(`API failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

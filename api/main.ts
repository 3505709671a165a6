import { apiHost, loadConfig } from '../common/config';
import { collectProcessMetrics } from '../common/metrics';
import { startApi } from './server';

async function main() {
  const config = loadConfig();
  collectProcessMetrics('api');
  const api = await startApi(config);
  const host = apiHost(config);
  const callback = api.callbackPort === api.inspectorPort ? '' : `, agent callback on port ${api.callbackPort}`;
  console.log(`inspector API on http://${host}:${api.inspectorPort}, node API on http://${host}:${api.nodePort}${callback} (auth: ${config.AUTH_STRATEGY})`);
  const stop = () => void api.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  console.error(`API failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

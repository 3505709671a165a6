import { apiHost, loadConfig } from '../common/config';
import { createLogger, log, setLogger } from '../common/log';
import { collectProcessMetrics } from '../common/metrics';
import { startApi } from './server';

async function main() {
  const config = loadConfig();
  setLogger(createLogger('api', config.LOG_LEVEL));
  collectProcessMetrics('api');
  const api = await startApi(config);
  const host = apiHost(config);
  const callback = api.callbackPort === api.inspectorPort ? '' : `, agent callback on port ${api.callbackPort}`;
  log().info(`inspector API on http://${host}:${api.inspectorPort}, node API on http://${host}:${api.nodePort}${callback} (auth: ${config.AUTH_STRATEGY})`);
  const stop = () => void api.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  log().fatal({ err }, 'API failed to start');
  process.exit(1);
});

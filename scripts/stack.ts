import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startApi, type RunningApi } from '../api/server';
import type { Config } from '../common/config';
import { createLogger, setLogger } from '../common/log';
import { startDnsmasq } from '../pxe/dnsmasq';
import { createWorkers, type Workers } from '../worker/create-worker';
import { startBackingServices, waitForReady, type Service } from './services';

let runtimeInstalled = false;
/** Worker logs at WARN, so the output shows failures rather than every activity. */
function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // installed already (another test file in this process)
  }
}

export interface Stack {
  config: Config;
  inspectorUrl: string;
  nodeUrl: string;
  api: RunningApi;
  stop(): Promise<void>;
}

/**
 * The whole system in one process tree, on real components: a Temporal dev server (unless
 * `temporal: false`, for a cluster at TEMPORAL_ADDRESS), versitygw and (with PXE_INTERFACE)
 * dnsmasq as children, the API (inspector + node) and (unless told not to) the workers in this
 * process. Used by the tests and the demo; `npm start` runs the same parts as separate processes.
 */
export async function startStack(config: Config, options: { uiPort: number; quiet?: boolean; workers?: boolean; temporal?: boolean }): Promise<Stack> {
  if (options.quiet) installQuietRuntime();
  // Quiet: the API logs its failures only, not a line per request.
  setLogger(createLogger('api', options.quiet ? 'error' : config.LOG_LEVEL));
  const services: Service[] = [];
  let workers: Workers | undefined;
  let running: Promise<void> | undefined;
  let api: RunningApi | undefined;
  const stop = async () => {
    await api?.close();
    workers?.shutdown();
    await running?.catch(() => undefined);
    await workers?.close();
    for (const s of services.reverse()) await s.stop();
  };
  try {
    services.push(...(await startBackingServices(config, { uiPort: options.uiPort, temporal: options.temporal !== false, s3: true })));
    api = await startApi(config);
    await waitForReady('inspector API', `http://127.0.0.1:${api.inspectorPort}/readyz`, null, 30_000);
    if (options.workers !== false) {
      workers = await createWorkers(config);
      running = workers.run();
    }
    if (config.PXE_INTERFACE) services.push(await startDnsmasq(config, api.callbackPort));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    config,
    inspectorUrl: `http://127.0.0.1:${api.inspectorPort}`,
    nodeUrl: `http://127.0.0.1:${api.nodePort}`,
    api,
    stop,
  };
}

import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startApi, type RunningApi } from '../api/server';
import type { Config } from '../common/config';
import { findTool } from '../common/tools';
import { createWorkers, type Workers } from '../worker/create-worker';
import { hostPort, startTemporal, startVersitygw, type Service } from './services';

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
 * The whole system in one process tree, on real components: a Temporal dev server and versitygw
 * as children, the API (inspector + node) and the workers in this process. Used by the tests
 * and the demo; `npm start` runs the same parts as separate processes.
 */
export async function startStack(config: Config, options: { uiPort: number; quiet?: boolean }): Promise<Stack> {
  if (options.quiet) installQuietRuntime();
  const dataDir = config.INTROSPECTOR_DATA_DIR;
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
    services.push(
      await startTemporal({
        binary: findTool('temporal', config.INTROSPECTOR_TOOLS_DIR),
        ...hostPort(config.TEMPORAL_ADDRESS),
        uiPort: options.uiPort,
        dbFile: path.join(dataDir, 'temporal.sqlite'),
        logFile: path.join(dataDir, 'logs', 'temporal.log'),
      }),
    );
    services.push(
      await startVersitygw({
        binary: findTool('versitygw', config.INTROSPECTOR_TOOLS_DIR),
        ...hostPort(config.S3_ENDPOINT),
        dir: path.join(dataDir, 's3'),
        accessKey: config.S3_ACCESS_KEY,
        secretKey: config.S3_SECRET_KEY,
        logFile: path.join(dataDir, 'logs', 'versitygw.log'),
      }),
    );
    api = await startApi(config);
    workers = await createWorkers(config);
    running = workers.run();
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

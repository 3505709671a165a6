import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startApi, type RunningApi } from '../../api/server';
import { loadConfig, type Config } from '../../common/config';
import { findTool } from '../../common/tools';
import { startTemporal, startVersitygw, type Service } from '../../scripts/services';
import { createWorkers, type Workers } from '../../worker/create-worker';

export interface Stack {
  config: Config;
  dataDir: string;
  inspectorUrl: string;
  nodeUrl: string;
  api: RunningApi;
  stop(): Promise<void>;
}

/**
 * The whole system on real components, on ports of its own: a Temporal dev server, versitygw,
 * the API (inspector + node) and a worker, the last two in this process.
 */
export async function startStack(basePort: number, env: Record<string, string> = {}): Promise<Stack> {
  installQuietRuntime();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'introspector-test-'));
  const config = loadConfig({
    INTROSPECTOR_DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: `127.0.0.1:${basePort}`,
    S3_ENDPOINT: `http://127.0.0.1:${basePort + 10}`,
    TEMPORAL_TASK_QUEUE: `test-${basePort}`,
    INSPECTOR_PORT: '0',
    NODE_API_PORT: '0',
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...env,
  });
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
        host: '127.0.0.1',
        port: basePort,
        uiPort: 0,
        dbFile: path.join(dataDir, 'temporal.sqlite'),
        logFile: path.join(dataDir, 'temporal.log'),
      }),
    );
    services.push(
      await startVersitygw({
        binary: findTool('versitygw', config.INTROSPECTOR_TOOLS_DIR),
        host: '127.0.0.1',
        port: basePort + 10,
        dir: path.join(dataDir, 's3'),
        accessKey: config.S3_ACCESS_KEY,
        secretKey: config.S3_SECRET_KEY,
        logFile: path.join(dataDir, 'versitygw.log'),
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
    dataDir,
    inspectorUrl: `http://127.0.0.1:${api.inspectorPort}`,
    nodeUrl: `http://127.0.0.1:${api.nodePort}`,
    api,
    stop,
  };
}

let runtimeInstalled = false;
/** Worker logs at WARN, so test output shows failures rather than every activity. */
function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // another test file in this process installed it already
  }
}

/** JSON over HTTP: status and parsed body. */
export async function http(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

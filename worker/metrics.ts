import http from 'node:http';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Config } from '../common/config';
import { log } from '../common/log';
import { collectProcessMetrics, workerMetrics } from '../common/metrics';

const sdkToPino = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const satisfies Record<LogLevel, string>;
const sdkLevel = (level: string): LogLevel => (['fatal', 'silent'].includes(level) ? 'ERROR' : (level.toUpperCase() as LogLevel));

// A worker process's runtime: its logs in the worker's structured log, and its metrics on 127.0.0.1:WORKER_METRICS_PORT/metrics: its own (BMC commands,
// hooks, the process) and the Temporal SDK's (task slots, poll and schedule-to-start
// latencies...), which the SDK's exporter serves on the next port and this endpoint appends.
// Call before the first worker or connection: the SDK's runtime is configured once.

export async function serveWorkerMetrics(config: Config): Promise<http.Server> {
  const sdkAddress = `127.0.0.1:${config.WORKER_METRICS_PORT + 1}`;
  // The SDK's own logs, and the activities' (Context.log, with their workflow and activity ids), go to the worker's logger.
  const logger = new DefaultLogger(sdkLevel(config.LOG_LEVEL), ({ level, message, meta }) => log()[sdkToPino[level]](meta ?? {}, message));
  Runtime.install({ logger, telemetryOptions: { metrics: { prometheus: { bindAddress: sdkAddress } } } });
  collectProcessMetrics('worker');
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    void (async () => {
      const sdk = await fetch(`http://${sdkAddress}/metrics`, { signal: AbortSignal.timeout(2000) })
        .then((r) => r.text())
        .catch((err: Error) => `# the Temporal SDK's metrics could not be read: ${err.message}\n`);
      res.writeHead(200, { 'Content-Type': workerMetrics.contentType }).end(`${await workerMetrics.metrics()}\n${sdk}`);
    })();
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(config.WORKER_METRICS_PORT, '127.0.0.1', resolve));
  return server;
}

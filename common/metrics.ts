import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

// Every metric Introspector exports, in one place (Prometheus text, names prefixed introspector_,
// prom-client's conventions). Two registries, as the API and the worker may be two processes:
// the API's (requests, callbacks, what is running) and the worker's (BMC commands, hooks; the
// worker process adds the Temporal SDK's metrics: worker/metrics.ts). The API's /metrics shows
// both: the worker's registry in this process, or the worker process's endpoint (WORKER_METRICS_URL).

export const apiMetrics = new Registry();
export const workerMetrics = new Registry();

/** The process's own metrics (CPU, memory, event loop), named for what the process is. */
export function collectProcessMetrics(role: 'api' | 'worker'): void {
  collectDefaultMetrics({ register: role === 'api' ? apiMetrics : workerMetrics, prefix: `introspector_${role}_` });
}

const registers = [apiMetrics];
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export const httpRequests = new Histogram({
  name: 'introspector_http_request_duration_seconds',
  help: 'API requests by API, method, route and status',
  labelNames: ['api', 'method', 'route', 'status'] as const,
  buckets: SECONDS,
  registers,
});

export const callbacksReceived = new Counter({
  name: 'introspector_callbacks_total',
  help: 'Agent callbacks (POST /v1/continue) by HTTP status',
  labelNames: ['status'] as const,
  registers,
});

export const callbackBytes = new Histogram({
  name: 'introspector_callback_body_bytes',
  help: 'Size of the agent callbacks received',
  buckets: [1e3, 1e4, 5e4, 1e5, 5e5, 1e6, 5e6, 1e7],
  registers,
});

export const bmcCommands = new Histogram({
  name: 'introspector_bmc_command_duration_seconds',
  help: 'BMC commands by driver, command and outcome (ok, error), including their retries',
  labelNames: ['driver', 'command', 'outcome'] as const,
  buckets: SECONDS,
  registers: [workerMetrics],
});

export const hookDurations = new Histogram({
  name: 'introspector_processing_hook_duration_seconds',
  help: 'Time each processing hook takes, by hook and stage',
  labelNames: ['hook', 'stage'] as const,
  buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
  registers: [workerMetrics],
});

/** What the gauges read when scraped; the API sets it (it has the Temporal client). */
export interface VisibilityReader {
  waitingRuns(): Promise<number>;
  runningBulks(): Promise<{ bulkId: string; counts: Record<string, number> }[]>;
}
let visibility: VisibilityReader | undefined;
export const readVisibilityWith = (reader: VisibilityReader | undefined) => (visibility = reader);

new Gauge({
  name: 'introspector_introspections_waiting',
  help: 'Introspection runs waiting for their agent now',
  registers,
  async collect() {
    if (visibility) this.set(await visibility.waitingRuns());
  },
});

new Gauge({
  name: 'introspector_bulk_nodes',
  help: 'Nodes of each running bulk introspection, by state',
  labelNames: ['bulk', 'state'] as const,
  registers,
  async collect() {
    this.reset();
    for (const bulk of (await visibility?.runningBulks()) ?? []) {
      for (const [state, count] of Object.entries(bulk.counts)) this.set({ bulk: bulk.bulkId, state }, count);
    }
  },
});

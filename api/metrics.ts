import type { Client } from '@temporalio/client';
import { Router, type RequestHandler } from 'express';
import { apiMetrics, callbackBytes, callbacksReceived, httpRequests, readVisibilityWith, workerMetrics } from '../common/metrics';
import type { NodeRegistry } from '../nodes';

// The API's side of the metrics: its requests (by route, not by URL: bounded labels), the
// agents' callbacks, and what Temporal's visibility and the registry say is running, read when scraped.

const BULKS_SHOWN = 20;

export function requestMetrics(api: 'inspector' | 'ironic'): RequestHandler {
  return (req, res, next) => {
    const end = httpRequests.startTimer({ api, method: req.method });
    res.once('finish', () => {
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      end({ route, status: String(res.statusCode) });
      if (route === '/v1/continue' && req.method === 'POST') {
        callbacksReceived.inc({ status: String(res.statusCode) });
        callbackBytes.observe(Number(req.get('content-length') ?? 0));
      }
    });
    next();
  };
}

export function readVisibilityFrom(client: Client, registry: NodeRegistry): void {
  readVisibilityWith({
    waitingRuns: async () => (await client.workflow.count(`IntrospectionState = 'waiting' AND ExecutionStatus = 'Running'`)).count,
    runningBulks: async () => {
      const bulks = await registry.bulks.list({ limit: BULKS_SHOWN, state: 'running' });
      const counts = await registry.bulks.counts(bulks);
      return bulks.map((b) => {
        const { pending, running, finished, failed, skipped } = counts.get(b.id)!;
        return { bulkId: b.id, counts: { pending, running, finished, failed, skipped } };
      });
    },
  });
}

/** The worker's metrics: from its process when it has one, else those of the workers in this process. */
async function workerText(url: string | undefined): Promise<string> {
  if (!url) return workerMetrics.metrics();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return await res.text();
  } catch (err) {
    return `# the worker's metrics at ${url} could not be read: ${err instanceof Error ? err.message : String(err)}\n`;
  }
}

/** GET /metrics (a Prometheus scrape job authenticates with basic_auth where the API asks for it). */
export function metricsRoute(workerMetricsUrl: string | undefined, guard?: RequestHandler): Router {
  const router = Router();
  router.get('/metrics', ...(guard ? [guard] : []), async (_req, res) => {
    const [api, worker] = await Promise.all([apiMetrics.metrics(), workerText(workerMetricsUrl)]);
    res.type(apiMetrics.contentType).send(`${api}\n${worker}`);
  });
  return router;
}

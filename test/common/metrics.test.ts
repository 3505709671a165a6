import fs from 'node:fs';
import path from 'node:path';
import { apiMetrics, collectProcessMetrics, workerMetrics } from '../../common/metrics';
import { RUN_METRICS } from '../../workflows/run-metrics';

// The Grafana dashboard in ops/ stays true: every introspector_ metric it plots exists (in the
// API's and worker's registries, or among the runs' own metrics the SDK exports).

test('every introspector_ metric the dashboard uses is one the API or the worker exports', async () => {
  collectProcessMetrics('api');
  collectProcessMetrics('worker');
  const exported = new Set([...(await apiMetrics.getMetricsAsJSON()), ...(await workerMetrics.getMetricsAsJSON())].map((m) => m.name));
  for (const name of Object.values(RUN_METRICS)) exported.add(name); // the runs' own, through the SDK
  const dashboard = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../ops/grafana-dashboard.json'), 'utf8'));
  const exprs: string[] = dashboard.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr));
  const used = new Set(exprs.flatMap((e) => e.match(/introspector_[a-z_]+/g) ?? []).map((n) => n.replace(/_(bucket|count|sum)$/, '')));
  expect(used.size).toBeGreaterThan(8);
  expect([...used].filter((name) => !exported.has(name))).toEqual([]);
});

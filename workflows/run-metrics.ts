import { metricMeter } from '@temporalio/workflow';
import { BOOT_PHASES } from '../common/boot-phases';
import type { IntrospectionStatus } from './definitions';

// The runs' own metrics, counted by the worker's SDK runtime and served with its metrics
// (worker/metrics.ts); a replay counts nothing twice.

/** Their names, as the worker's /metrics shows them. */
export const RUN_METRICS = {
  started: 'introspector_introspections_started_total',
  ended: 'introspector_introspections_ended_total',
  duration: 'introspector_introspection_duration_seconds',
  phases: 'introspector_boot_phase_duration_seconds',
} as const;

const meter = () => ({
  started: metricMeter.createCounter(RUN_METRICS.started, 'runs', 'Introspections started'),
  ended: metricMeter.createCounter(RUN_METRICS.ended, 'runs', 'Introspections ended, by outcome (finished, failed, refused) and failure type'),
  duration: metricMeter.createHistogram(RUN_METRICS.duration, 'float', 's', 'How long introspections took, by outcome'),
  phases: metricMeter.createHistogram(RUN_METRICS.phases, 'float', 's', 'Time from the power-on to each boot phase'),
});

/** Never negative (a histogram refuses it): phase times come from the API's clock, the power-on from the workflow's. */
const seconds = (from: string, to: string) => Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000) || 0;

export function countStart(): void {
  meter().started.add(1);
}

/** A run ended: its outcome, why it failed (the failure type), how long it took and how long each boot phase took. */
export function countEnd(status: IntrospectionStatus, outcome: 'finished' | 'failed' | 'refused', reason: string): void {
  const m = meter();
  m.ended.add(1, { outcome, reason });
  if (status.finishedAt) m.duration.record(seconds(status.startedAt, status.finishedAt), { outcome });
  const poweredOn = status.bootPhases.powered_on;
  if (!poweredOn) return;
  for (const phase of BOOT_PHASES.slice(1)) {
    const at = status.bootPhases[phase];
    if (at) m.phases.record(seconds(poweredOn, at), { phase });
  }
}

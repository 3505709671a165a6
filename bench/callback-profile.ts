import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

// Where a callback's time and CPU go, for bench/vs-ironic-inspector.ts --profile: the timed runs'
// Temporal histories from the callback on, and the V8 CPU profiles (`node --cpu-prof`) of the API
// and the worker cut to the timed callbacks (and to a stretch of idling). Printed on stderr, as `#` lines.

const say = (line: string) => process.stderr.write(`# ${line}\n`);
const ROOT = path.resolve(__dirname, '..');

const millis = (t: temporal.api.history.v1.IHistoryEvent['eventTime']) => Number(t!.seconds) * 1000 + (t!.nanos ?? 0) / 1e6;
const typeOf = (e: temporal.api.history.v1.IHistoryEvent) => temporal.api.enums.v1.EventType[e.eventType!].replace(/^EVENT_TYPE_/, '');
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

export interface TimedRun {
  workflowId: string;
  /** When the callback was sent (ms since the epoch). */
  sentAt: number;
}

/**
 * The Temporal side of the timed callbacks: every event from the callback on, in order, with the
 * median over the runs of its time since the event before (the runs' histories have the same shape).
 */
export async function printHistories(client: Client, runs: TimedRun[]): Promise<void> {
  const steps = new Map<string, number[]>();
  const total: number[] = [];
  for (const run of runs) {
    const events = ((await client.workflow.getHandle(run.workflowId).fetchHistory()).events ?? []).filter((e) => millis(e.eventTime) >= run.sentAt - 1);
    const byId = new Map(events.map((e) => [Number(e.eventId), e]));
    let previous = run.sentAt;
    events.forEach((e, i) => {
      const at = millis(e.eventTime);
      const scheduled = e.activityTaskScheduledEventAttributes ?? byId.get(Number(e.activityTaskStartedEventAttributes?.scheduledEventId ?? e.activityTaskCompletedEventAttributes?.scheduledEventId ?? 0))?.activityTaskScheduledEventAttributes;
      const name = `${String(i + 1).padStart(2)} ${typeOf(e)}${scheduled ? ` ${scheduled.activityType?.name} (queue ${scheduled.taskQueue?.name})` : ''}`;
      steps.set(name, [...(steps.get(name) ?? []), at - previous]);
      previous = at;
    });
    total.push(previous - run.sentAt);
  }
  say(`Temporal history of the ${runs.length} timed runs from the callback on: median ms since the event before (runs with that event)`);
  for (const [name, values] of steps) say(`  ${median(values).toFixed(1).padStart(7)}  ${name} (${values.length})`);
  say(`  ${median(total).toFixed(1).padStart(7)}  callback sent → workflow completed`);
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A package for code under node_modules, the project file for the project's own, V8's pseudo-frames as they are. */
function owner(url: string, functionName: string): string {
  if (!url) return functionName || '(native)';
  const file = url.replace(/^file:\/\//, '');
  const at = file.lastIndexOf('node_modules/');
  if (at >= 0) {
    const parts = file.slice(at + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (file.startsWith('node:') || !file.startsWith('/')) return 'node (built-in)';
  return path.relative(ROOT, file);
}

const frameName = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${owner(n.callFrame.url, n.callFrame.functionName)}:${n.callFrame.lineNumber + 1}`;

/** A stretch of the run to look at, and what its CPU time is divided by (callbacks, seconds). */
export interface Window {
  name: string;
  fromUs: bigint;
  toUs: bigint;
  per: number;
  unit: string;
}

function top(totals: Map<string, number>, count: number, per: number): string[] {
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => `${(us / 1000 / per).toFixed(2).padStart(7)} ms  ${name}`);
}

/** Self time by package and by function, and time including callees by function, within the window. */
function summarise(thread: string, profile: CpuProfile, window: Window): void {
  const [from, to] = [Number(window.fromUs), Number(window.toUs)];
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfByOwner = new Map<string, number>();
  const selfByFrame = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  let busy = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    const duration = profile.timeDeltas[i + 1] ?? 0;
    if (t < from || t > to) continue;
    const node = byId.get(profile.samples[i])!;
    if (node.callFrame.functionName === '(idle)') continue;
    busy += duration;
    add(selfByOwner, owner(node.callFrame.url, node.callFrame.functionName), duration);
    add(selfByFrame, frameName(node), duration);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const name = frameName(byId.get(id)!);
      if (!seen.has(name)) add(inclusive, name, duration);
      seen.add(name);
    }
  }
  const label = `${thread}, ${window.name}`;
  say(`${label}: ${(busy / 1000 / window.per).toFixed(1)} ms of sampled CPU ${window.unit}`);
  say(`${label}: self time by package or file, ${window.unit}`);
  for (const line of top(selfByOwner, 15, window.per)) say(`  ${line}`);
  say(`${label}: self time by function, ${window.unit}`);
  for (const line of top(selfByFrame, 20, window.per)) say(`  ${line}`);
  say(`${label}: time including callees, by function, ${window.unit}`);
  for (const line of top(inclusive, 40, window.per)) say(`  ${line}`);
}

/** The profiles the processes wrote on exit (one per thread: CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile). */
export function printProfiles(dir: string, pids: Record<string, number>, windows: Window[]): void {
  for (const [name, pid] of Object.entries(pids)) {
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && f.split('.')[3] === String(pid));
    for (const file of files) {
      const profile = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
      for (const window of windows) summarise(`${name} thread ${file.split('.')[4]}`, profile, window);
    }
  }
}

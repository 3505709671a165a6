// Agent collection benchmark: runs the collectors N times on this machine and prints
// mean/max collection time and peak RSS, and the ratio to a baseline measured in the same
// run: systeminformation's own calls for the same facts (cpu, memory, block devices, NICs),
// so the ratio shows what the agent's own work (sysfs reads, IPA shaping, validation) costs.
// Usage: npx tsx bench/agent.ts [runs=5] [collectors=default]

import si from 'systeminformation';
import { runCollectors } from '../agent/collect';
import { createContext } from '../agent/context';

async function timed(runs: number, once: () => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await once();
    times.push(performance.now() - started);
  }
  return times;
}

const meanOf = (times: number[]) => times.reduce((a, b) => a + b, 0) / times.length;

async function bench(runs: number, collectors: string[]): Promise<void> {
  const baseline = await timed(runs, async () => {
    await Promise.all([si.cpu(), si.mem(), si.blockDevices(), si.networkInterfaces()]);
  });
  const times = await timed(runs, async () => {
    const result = await runCollectors(collectors, createContext({ collectors }));
    if (result.broken) throw new Error(`collection broken: ${result.error}`);
  });
  const mean = meanOf(times);
  const max = Math.max(...times);
  // maxRSS is in kilobytes
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`agent collectors=${collectors.join(',')} runs=${runs}\n`);
  process.stdout.write(`agent collection first_ms=${times[0].toFixed(1)}\n`);
  process.stdout.write(`agent collection mean_ms=${mean.toFixed(1)}\n`);
  process.stdout.write(`agent collection max_ms=${max.toFixed(1)}\n`);
  process.stdout.write(`agent peak_rss_mb=${peakRssMb.toFixed(1)}\n`);
  process.stdout.write(`baseline systeminformation mean_ms=${meanOf(baseline).toFixed(1)}\n`);
  process.stdout.write(`ratio agent/baseline=${(mean / meanOf(baseline)).toFixed(2)}\n`);
}

const runs = Number(process.argv[2] ?? 5);
const collectors = (process.argv[3] ?? 'default').split(',');
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write('usage: tsx bench/agent.ts [runs] [collectors]\n');
  process.exit(2);
}
bench(runs, collectors).catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

import type { BmcDriver } from '../../activities/bmc';
import { FakeDriver } from '../../activities/bmc/fake';
import { paced } from '../../activities/bmc/pace';

/** A driver whose commands take `ms` each and record when they ran. */
function recording(log: { bmc: string; start: number; end: number }[], bmc: string, ms = 20): BmcDriver {
  const inner = new FakeDriver(`pace-${bmc}`);
  const slow = async <T>(run: () => Promise<T>) => {
    const start = Date.now();
    await new Promise((resolve) => setTimeout(resolve, ms));
    const out = await run();
    log.push({ bmc, start, end: Date.now() });
    return out;
  };
  return Object.assign(Object.create(inner) as BmcDriver, {
    powerStatus: () => slow(() => inner.powerStatus()),
    powerOn: () => slow(() => inner.powerOn()),
  });
}

test('commands to one BMC never overlap and keep the minimum interval; other BMCs are not held up', async () => {
  const log: { bmc: string; start: number; end: number }[] = [];
  const a = paced(recording(log, 'a'), 'a', 150);
  const alsoA = paced(recording(log, 'a'), 'a', 150); // another activity, the same BMC
  const b = paced(recording(log, 'b'), 'b', 150);
  await Promise.all([a.powerOn(), alsoA.powerStatus(), a.powerStatus(), b.powerStatus(), b.powerOn()]);
  for (const bmc of ['a', 'b']) {
    const runs = log.filter((l) => l.bmc === bmc).sort((x, y) => x.start - y.start);
    for (let i = 1; i < runs.length; i++) expect(runs[i].start - runs[i - 1].end).toBeGreaterThanOrEqual(149);
  }
  const firstB = Math.min(...log.filter((l) => l.bmc === 'b').map((l) => l.start));
  const lastA = Math.max(...log.filter((l) => l.bmc === 'a').map((l) => l.start));
  expect(firstB).toBeLessThan(lastA);
  expect(await a.powerStatus()).toBe('power on');
});

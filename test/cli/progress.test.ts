import {
  type ProgressCounts,
  ProgressDisplay,
  percentOf,
  renderBar,
  renderProgress,
  renderProgressPlain,
} from '../../cli/progress';
import { Capture, plain } from './helpers';

const counts = (c: Partial<ProgressCounts>): ProgressCounts => ({
  total: 40,
  pending: 28,
  running: 4,
  finished: 6,
  failed: 2,
  skipped: 0,
  ...c,
});

describe('renderProgress', () => {
  test('wide terminal: bar, done/total, percent, elapsed, every count with its full name', () => {
    const line = renderProgress(counts({}), 120, 65_000);
    expect(line).toBe(
      `[${'█'.repeat(8)}${'░'.repeat(32)}]  8/40  20%  1m05s   running 4  finished 6  failed 2  skipped 0  pending 28`,
    );
  });

  test('never uses the last column, whatever the width', () => {
    for (let width = 5; width <= 200; width++) {
      const line = renderProgress(counts({}), width, 3_725_000);
      expect(line.length).toBeLessThanOrEqual(width - 1);
    }
  });

  test('80 columns: short labels keep the bar', () => {
    const line = renderProgress(counts({}), 80, 5_000);
    expect(line).toMatch(/^\[[█░]+\]  8\/40  20%  5s   run 4  ok 6  fail 2  skip 0  wait 28$/);
    const cells = line.indexOf(']') - 1;
    expect(cells).toBeGreaterThanOrEqual(10);
    expect(line.length).toBeLessThanOrEqual(79);
  });

  test('narrow: no bar, then cut', () => {
    expect(renderProgress(counts({}), 60, 5_000)).toBe('8/40  20%  5s   run 4  ok 6  fail 2  skip 0  wait 28');
    expect(renderProgress(counts({}), 22, 5_000)).toBe('8/40  20%  5s   run 4');
    expect(renderProgress(counts({}), 21, 5_000)).toBe('8/40  20%  5s   run');
    expect(renderProgress(counts({}), 10, 5_000)).toBe('8/40  20%');
  });

  test('the bar fills with finished, failed and skipped nodes', () => {
    expect(renderBar(counts({ total: 10, finished: 3, failed: 1, skipped: 1 }), 10)).toBe('[█████░░░░░]');
    expect(renderBar(counts({ total: 10, finished: 10, failed: 0 }), 10)).toBe('[██████████]');
    expect(renderBar(counts({ total: 0, finished: 0, failed: 0, pending: 0, running: 0 }), 10)).toBe('[░░░░░░░░░░]');
  });

  test('percent rounds down: 100% only when every node is through', () => {
    expect(percentOf(counts({ total: 1000, finished: 999, failed: 0 }))).toBe(99);
    expect(percentOf(counts({ total: 3, finished: 2, failed: 1 }))).toBe(100);
    expect(percentOf(counts({ total: 0, finished: 0, failed: 0 }))).toBe(0);
  });

  test('plain line for pipes and files', () => {
    expect(renderProgressPlain(counts({}), 252_000)).toBe(
      'progress: 8/40 done (20%), running 4, finished 6, failed 2, skipped 0, pending 28 [4m12s]',
    );
  });
});

describe('ProgressDisplay', () => {
  test('terminal: hides the cursor, redraws the line in place, shows the cursor at the end', () => {
    const out = new Capture(true, 100);
    let elapsed = 0;
    const display = new ProgressDisplay(out, { elapsed: () => elapsed, tickMs: 0 });
    display.update(counts({ finished: 0, failed: 0, running: 2, pending: 38 }));
    elapsed = 1000;
    display.update(counts({}));
    display.note('warning: slow');
    display.stop();
    display.update(counts({ finished: 40 })); // after stop: ignored
    expect(out.text.startsWith('\x1b[?25l\r\x1b[2K[')).toBe(true);
    expect(out.text.match(/\x1b\[\?25l/g)).toHaveLength(1);
    expect(out.text.endsWith('\n\x1b[?25h')).toBe(true);
    expect(out.text).toContain('\r\x1b[2Kwarning: slow\n');
    // Every draw starts at column 0 and no line break except the note's and the final one.
    const frames = out.text.split('\r\x1b[2K').slice(1);
    expect(frames.length).toBe(5); // 2 updates, note, redraw after note, final draw
    expect(plain(frames[0])).toContain('0/40  0%  0s');
    expect(plain(frames[4])).toMatch(/8\/40  20%  1s/);
  });

  test('terminal: the clock moves between polls', async () => {
    const out = new Capture(true, 100);
    let elapsed = 0;
    const display = new ProgressDisplay(out, { elapsed: () => (elapsed += 1000), tickMs: 5 });
    display.update(counts({}));
    await new Promise((resolve) => setTimeout(resolve, 40));
    display.stop();
    const frames = out.text.split('\r\x1b[2K').length - 1;
    expect(frames).toBeGreaterThan(2);
    const after = out.text.length;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(out.text.length).toBe(after); // the timer is gone
  });

  test('not a terminal: one plain line per change of counts, no escapes', () => {
    const out = new Capture(false);
    let elapsed = 0;
    const display = new ProgressDisplay(out, { elapsed: () => elapsed });
    display.update(counts({ finished: 0, failed: 0, running: 2, pending: 38 }));
    elapsed = 1000;
    display.update(counts({ finished: 0, failed: 0, running: 2, pending: 38 }));
    elapsed = 2000;
    display.update(counts({}));
    display.stop();
    expect(out.text).toBe(
      'progress: 0/40 done (0%), running 2, finished 0, failed 0, skipped 0, pending 38 [0s]\n' +
        'progress: 8/40 done (20%), running 4, finished 6, failed 2, skipped 0, pending 28 [2s]\n',
    );
  });
});

test('nothing is drawn before the server has selected the nodes (total 0)', () => {
  const written: string[] = [];
  const display = new ProgressDisplay({ write: (t: string) => written.push(t), isTTY: false }, { elapsed: () => 0 });
  display.update({ total: 0, pending: 0, running: 0, finished: 0, failed: 0, skipped: 0 });
  expect(written).toEqual([]);
  display.update({ total: 2, pending: 2, running: 0, finished: 0, failed: 0, skipped: 0 });
  expect(written).toHaveLength(1);
  expect(written[0]).toMatch(/0\/2 done/);
});

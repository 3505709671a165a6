// The bulk progress bar: a pure renderer (counts + width + elapsed → one line)
// and a small display that redraws it in place on a terminal, or prints a plain
// line whenever the counts change when the output is a pipe or a file.

import type { BulkCounts } from '../common/api-types';
import { formatDuration } from './format';

export type ProgressCounts = BulkCounts;

/** Nodes that are through: finished, failed or skipped. */
export function doneOf(c: ProgressCounts): number {
  return c.finished + c.failed + c.skipped;
}

/** Whole percent done, rounded down so that 100% means every node is through. */
export function percentOf(c: ProgressCounts): number {
  if (c.total <= 0) return 0;
  return Math.min(100, Math.floor((doneOf(c) * 100) / c.total));
}

const BAR_MIN = 10;
const BAR_MAX = 40;
const FULL = '█';
const EMPTY = '░';

/** `[████░░░░]` with `cells` cells inside the brackets. */
export function renderBar(c: ProgressCounts, cells: number): string {
  const ratio = c.total > 0 ? Math.min(1, doneOf(c) / c.total) : 0;
  const filled = Math.floor(ratio * cells);
  return `[${FULL.repeat(filled)}${EMPTY.repeat(cells - filled)}]`;
}

function countsText(c: ProgressCounts, short: boolean): string {
  const labels = short
    ? (['run', 'ok', 'fail', 'skip', 'wait'] as const)
    : (['running', 'finished', 'failed', 'skipped', 'pending'] as const);
  const values = [c.running, c.finished, c.failed, c.skipped, c.pending];
  return labels.map((label, i) => `${label} ${values[i]}`).join('  ');
}

/**
 * One line that fits in `width` columns (the last column is left free so that a
 * terminal never wraps it), in the richest layout that fits:
 *
 *     [████████░░░░░░░░░░░░]  12/40  30%  1m05s   running 4  finished 6  failed 2  skipped 0  pending 28
 *     [████░░░░░░]  12/40  30%  1m05s   run 4  ok 6  fail 2  skip 0  wait 28
 *     12/40  30%  1m05s   run 4  ok 6  fail 2  skip 0  wait 28
 *
 * and cut at the width as a last resort.
 */
export function renderProgress(c: ProgressCounts, width: number, elapsedMs: number): string {
  const room = Math.max(1, Math.floor(width) - 1);
  const head = `${doneOf(c)}/${c.total}  ${percentOf(c)}%  ${formatDuration(elapsedMs)}`;
  for (const short of [false, true]) {
    const text = `${head}   ${countsText(c, short)}`;
    const cells = room - text.length - 4; // brackets and two spaces
    if (cells >= BAR_MIN) return `${renderBar(c, Math.min(BAR_MAX, cells))}  ${text}`;
  }
  const bare = `${head}   ${countsText(c, true)}`;
  return bare.length <= room ? bare : bare.slice(0, room).trimEnd();
}

/** The line printed when the output is not a terminal: complete words, no bar. */
export function renderProgressPlain(c: ProgressCounts, elapsedMs: number): string {
  return (
    `progress: ${doneOf(c)}/${c.total} done (${percentOf(c)}%), running ${c.running}, finished ${c.finished}, ` +
    `failed ${c.failed}, skipped ${c.skipped}, pending ${c.pending} [${formatDuration(elapsedMs)}]`
  );
}

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressDisplayOptions {
  /** Elapsed time to show, read at every draw. */
  elapsed: () => number;
  /** Redraw period on a terminal, so the clock moves while a poll is slow; 0 disables it. */
  tickMs?: number;
}

const CLEAR_LINE = '\r\x1b[2K';
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';

/**
 * On a terminal: one line redrawn in place (carriage return + erase line), the
 * cursor hidden meanwhile, refreshed every second. Elsewhere: a plain line each
 * time the counts change.
 */
export class ProgressDisplay {
  private last: ProgressCounts | undefined;
  private lastPlainKey: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private drawn = false;
  private stopped = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly options: ProgressDisplayOptions,
  ) {}

  get tty(): boolean {
    return this.stream.isTTY === true;
  }

  update(counts: ProgressCounts): void {
    // Before the server has selected the nodes there is nothing to draw (0/0).
    if (this.stopped || counts.total === 0) return;
    this.last = { ...counts };
    if (this.tty) {
      this.draw();
      const tick = this.options.tickMs ?? 1000;
      if (!this.timer && tick > 0) {
        this.timer = setInterval(() => this.draw(), tick);
        this.timer.unref();
      }
      return;
    }
    const key = JSON.stringify(this.last);
    if (key === this.lastPlainKey) return;
    this.lastPlainKey = key;
    this.stream.write(renderProgressPlain(this.last, this.options.elapsed()) + '\n');
  }

  /** A message above the bar (the bar is redrawn under it). */
  note(text: string): void {
    if (this.tty && this.drawn) {
      this.stream.write(`${CLEAR_LINE}${text}\n`);
      this.draw();
    } else {
      this.stream.write(text + '\n');
    }
  }

  /** Final draw, then the cursor goes to the next line and is shown again. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty && this.drawn) {
      this.draw(true);
      this.stream.write(`\n${SHOW_CURSOR}`);
    }
  }

  private draw(force = false): void {
    if (!this.last || (this.stopped && !force)) return;
    const width = this.stream.columns && this.stream.columns > 0 ? this.stream.columns : 80;
    const line = renderProgress(this.last, width, this.options.elapsed());
    this.stream.write(`${this.drawn ? '' : HIDE_CURSOR}${CLEAR_LINE}${line}`);
    this.drawn = true;
  }
}

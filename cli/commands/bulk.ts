// introspector introspection bulk start|status|abort|list — many nodes at once,
// with a live progress bar while waiting.

import type { Command } from 'commander';
import { isBootPhase, largestGroupsFirst, phaseLabel, stopHint } from '../../common/boot-phases';
import { type Context, EXIT, UsageError } from '../context';
import { elapsedMs, formatDuration, formatElapsed, humanizeDetail, renderTable } from '../format';
import { InterruptedError, seg } from '../http';
import { nonNegativeNumber, positiveInt, positiveSeconds } from '../options';
import { PollErrors } from '../poll';
import { type ProgressCounts, ProgressDisplay } from '../progress';

export interface BulkNode {
  uuid: string;
  name?: string | null;
  state: string;
  error?: string | null;
  detail?: string | null;
  started_at?: string | null;
  finished_at?: string | null;
}

export interface BulkStatus extends ProgressCounts {
  bulk_id: string;
  state: string;
  started_at?: string | null;
  finished_at?: string | null;
  error?: string | null;
  nodes?: BulkNode[];
  /** Failed nodes by the boot phase they stopped after (`none`: never powered on). */
  failures_by_phase?: Record<string, number>;
}

export const BULK_POLL_MS = 1000;
/** The nodes a summary lists (the counts cover them all): one page, whatever the size of the run. */
export const SUMMARY_NODES = 50;
/** What a poll asks for: the counts and the first failed and skipped nodes, for the summary at the end. */
const WATCH_QUERY = { state: 'failed,skipped', limit: SUMMARY_NODES };
export const TERMINAL_STATES = new Set(['finished', 'aborted', 'error']);
const FAILED_NODE_STATES = new Set(['error', 'failed']);

export const failedNodes = (b: BulkStatus) => (b.nodes ?? []).filter((n) => FAILED_NODE_STATES.has(n.state));
export const skippedNodes = (b: BulkStatus) => (b.nodes ?? []).filter((n) => n.state === 'skipped');

export function countsOf(b: BulkStatus): ProgressCounts {
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return {
    total: n(b.total),
    pending: n(b.pending),
    running: n(b.running),
    finished: n(b.finished),
    failed: n(b.failed),
    skipped: n(b.skipped),
  };
}

/** 0 when the run finished with every node introspected; 1 on any failure, skip, abort or error. */
export function bulkExitCode(b: BulkStatus): number {
  const c = countsOf(b);
  const clean =
    b.state === 'finished' && c.failed === 0 && c.skipped === 0 && failedNodes(b).length === 0 && skippedNodes(b).length === 0;
  return clean ? EXIT.OK : EXIT.FAILED;
}

function bulkElapsed(b: BulkStatus, now: number): number | undefined {
  return elapsedMs(b.started_at, TERMINAL_STATES.has(b.state) ? b.finished_at : undefined, now);
}

/**
 * The summary after a run (and `bulk status`):
 *
 *     Bulk introspection 5f0c...: finished in 5m12s
 *     40 nodes: 36 finished, 2 failed, 2 skipped, 0 running, 0 pending
 *
 *     Failed (2):
 *     NAME       UUID     ERROR
 *     rack1-u07  ...      timeout: no agent called back ...; the last boot stopped after ...
 *
 *     Failed by boot phase (2):
 *     NODES  STOPPED AFTER      WHAT THAT USUALLY MEANS
 *     1      power-on accepted  PXE never reached us: check DHCP and the provisioning VLAN, ...
 *     1      never powered on   -
 *
 *     Skipped (2):
 *     ...
 *
 * With `running: true` (a snapshot of a live run) the running nodes are listed too.
 */
export function renderBulkSummary(b: BulkStatus, now: number, opts: { running?: boolean } = {}): string {
  const c = countsOf(b);
  const ms = bulkElapsed(b, now);
  let when = '';
  if (ms !== undefined) {
    const d = formatDuration(ms);
    when = b.state === 'aborted' ? ` after ${d}` : TERMINAL_STATES.has(b.state) ? ` in ${d}` : ` for ${d}`;
  }
  const lines = [
    `Bulk introspection ${b.bulk_id}: ${b.state}${when}`,
    `${c.total} nodes: ${c.finished} finished, ${c.failed} failed, ${c.skipped} skipped, ${c.running} running, ${c.pending} pending`,
  ];
  if (b.error) lines.push(`error: ${b.error}`);
  if (TERMINAL_STATES.has(b.state) && c.pending + c.running > 0) {
    lines.push(`${c.pending + c.running} nodes were not introspected`);
  }
  let text = lines.join('\n') + '\n';

  /** `count`: how many there are, of which the server sent `rows` (a page). */
  const section = (title: string, headers: string[], rows: unknown[][], count = rows.length) => {
    const shown = rows.length < count ? `; the first ${rows.length}` : '';
    if (rows.length > 0) text += `\n${title} (${count}${shown}):\n${renderTable(headers, rows)}`;
  };
  section(
    'Failed',
    ['name', 'uuid', 'error'],
    failedNodes(b).map((n) => [n.name, n.uuid, n.error ?? n.detail]),
    Math.max(c.failed, failedNodes(b).length),
  );
  section(
    'Failed by boot phase',
    ['nodes', 'stopped after', 'what that usually means'],
    largestGroupsFirst(b.failures_by_phase ?? {}).map(([phase, count]) =>
      isBootPhase(phase) ? [count, phaseLabel(phase), stopHint(phase)] : [count, phase === 'none' ? 'never powered on' : phase, null],
    ),
  );
  section(
    'Skipped',
    ['name', 'uuid', 'reason'],
    skippedNodes(b).map((n) => [n.name, n.uuid, n.error ?? n.detail]),
    Math.max(c.skipped, skippedNodes(b).length),
  );
  if (opts.running) {
    const running = (b.nodes ?? []).filter((n) => !['pending', 'finished', 'skipped'].includes(n.state) && !FAILED_NODE_STATES.has(n.state));
    section(
      'Running',
      ['name', 'uuid', 'state', 'detail', 'elapsed'],
      running.map((n) => [n.name, n.uuid, n.state, n.detail && humanizeDetail(n.detail, now), formatElapsed(n.started_at, n.finished_at, now)]),
      Math.max(c.running, running.length),
    );
  }
  return text;
}

interface StartOptions {
  allManageable?: boolean;
  rack?: string;
  resourceClass?: string;
  namePrefix?: string;
  concurrency?: number;
  nodeTimeout?: number;
  bootTimeout?: number;
  bootAttempts?: number;
  stagger?: number;
  wait: boolean;
}

export function bulkRequestBody(idents: string[], opts: StartOptions): Record<string, unknown> {
  const filters: Record<string, string> = {};
  if (opts.rack !== undefined) filters.rack = opts.rack;
  if (opts.resourceClass !== undefined) filters.resource_class = opts.resourceClass;
  if (opts.namePrefix !== undefined) filters.name_prefix = opts.namePrefix;
  const hasFilters = Object.keys(filters).length > 0;
  const kinds = [idents.length > 0, opts.allManageable === true, hasFilters].filter(Boolean).length;
  if (kinds === 0) {
    throw new UsageError('say which nodes: NODE arguments, --all-manageable, or --rack/--resource-class/--name-prefix');
  }
  if (kinds > 1) {
    throw new UsageError(
      'choose one way to select nodes: NODE arguments, --all-manageable, or filters (--rack, --resource-class, --name-prefix)',
    );
  }
  const body: Record<string, unknown> = {};
  if (idents.length > 0) body.nodes = idents;
  if (opts.allManageable) body.all_manageable = true;
  if (hasFilters) body.filters = filters;
  if (opts.concurrency !== undefined) body.concurrency = opts.concurrency;
  if (opts.nodeTimeout !== undefined) body.node_timeout = opts.nodeTimeout;
  if (opts.bootTimeout !== undefined) body.boot_timeout = opts.bootTimeout;
  if (opts.bootAttempts !== undefined) body.boot_attempts = opts.bootAttempts;
  if (opts.stagger !== undefined) body.stagger = opts.stagger;
  return body;
}

function abortHint(id: string): string {
  return `  status: introspector introspection bulk status ${id}\n  abort:  introspector introspection bulk abort ${id}`;
}

async function startBulk(ctx: Context, idents: string[], opts: StartOptions): Promise<void> {
  const body = bulkRequestBody(idents, opts);
  const answer = await ctx.inspector.post<{ bulk_id: string; links?: unknown }>('/v1/introspection', body);
  const id = answer?.bulk_id;
  if (typeof id !== 'string' || !id) throw new Error('the inspector API accepted the bulk run but sent no bulk_id');
  if (!opts.wait) {
    if (ctx.json) ctx.printJson(answer);
    else ctx.out(`Bulk introspection ${id} started\n${abortHint(id)}`);
    return;
  }
  if (!ctx.json) ctx.out(`Bulk introspection ${id} started`);
  await watchBulk(ctx, id);
}

/** Polls the run every second (one call: counts and a page of failures) with a progress display until it ends or Ctrl-C, then sums up. */
async function watchBulk(ctx: Context, id: string): Promise<void> {
  const { io } = ctx;
  const localStart = io.now();
  let last: BulkStatus | undefined;
  const display = new ProgressDisplay(ctx.json ? io.stderr : io.stdout, {
    elapsed: () => (last ? bulkElapsed(last, io.now()) : undefined) ?? io.now() - localStart,
  });
  const errors = new PollErrors(io.now);
  let interrupted: boolean;
  try {
    interrupted = await ctx.interruptible(async (signal) => {
      for (;;) {
        try {
          last = await ctx.inspector.get<BulkStatus>(`/v1/introspection/bulk/${seg(id)}`, { signal, query: WATCH_QUERY });
          errors.ok();
          display.update(countsOf(last));
          if (TERMINAL_STATES.has(last.state)) return;
        } catch (err) {
          if (err instanceof InterruptedError) throw err;
          display.note(errors.absorb(err));
        }
        await io.sleep(BULK_POLL_MS, signal);
        if (signal.aborted) return;
      }
    });
  } finally {
    display.stop();
  }

  if (interrupted) {
    ctx.err(`Stopped waiting; bulk introspection ${id} goes on on the server.\n${abortHint(id)}`);
    if (ctx.json) ctx.printJson(last ?? { bulk_id: id });
    ctx.exitCode = EXIT.INTERRUPTED;
    return;
  }
  const final = last!;
  if (ctx.json) ctx.printJson(final);
  else ctx.out('\n' + renderBulkSummary(final, io.now()));
  ctx.exitCode = Math.max(ctx.exitCode, bulkExitCode(final));
}

async function bulkStatus(ctx: Context, id: string, opts: { all?: boolean }): Promise<void> {
  // The summary lists failed, skipped and running nodes; --all (with --json) every node, a page at a time.
  const query = { state: opts.all ? undefined : 'failed,skipped,running', limit: opts.all ? undefined : SUMMARY_NODES * 2 };
  const b = await ctx.inspector.get<BulkStatus>(`/v1/introspection/bulk/${seg(id)}`, { query });
  if (opts.all) {
    for (let page = b.nodes ?? []; page.length > 0; ) {
      page = (await ctx.inspector.get<BulkStatus>(`/v1/introspection/bulk/${seg(id)}`, { query: { marker: page.at(-1)!.uuid } })).nodes ?? [];
      b.nodes = [...(b.nodes ?? []), ...page];
    }
  }
  if (ctx.json) return ctx.printJson(b);
  ctx.out(renderBulkSummary(b, ctx.io.now(), { running: !TERMINAL_STATES.has(b.state) }));
}

async function bulkAbort(ctx: Context, id: string): Promise<void> {
  await ctx.inspector.post(`/v1/introspection/bulk/${seg(id)}/abort`);
  if (ctx.json) ctx.printJson({ bulk_id: id, abort: 'requested' });
  else ctx.out(`Abort of bulk introspection ${id} requested; running introspections are aborted and their nodes powered off`);
}

interface BulkListEntry {
  bulk_id: string;
  state: string;
  total?: number;
  finished?: number;
  failed?: number;
  started_at?: string | null;
}

async function bulkList(ctx: Context, opts: { limit?: number; marker?: string }): Promise<void> {
  const body = await ctx.inspector.get<{ bulks: BulkListEntry[] }>('/v1/introspection/bulk', { query: { limit: opts.limit, marker: opts.marker } });
  if (ctx.json) return ctx.printJson(body);
  ctx.out(
    renderTable(
      ['bulk id', 'state', 'total', 'finished', 'failed', 'started at'],
      (body?.bulks ?? []).map((b) => [b.bulk_id, b.state, b.total, b.finished, b.failed, b.started_at]),
    ),
  );
}

export function registerBulkCommands(introspection: Command, ctx: Context): void {
  const bulk = introspection.command('bulk').description('introspect many nodes: a rack, a class, all manageable');

  bulk
    .command('start')
    .description('start a bulk introspection and, unless --no-wait, follow it with a progress bar')
    .argument('[node...]', 'node uuids or names (or select with the options)')
    .option('--all-manageable', 'every node in the manageable state')
    .option('--rack <rack>', 'nodes of this rack')
    .option('--resource-class <class>', 'nodes of this resource class')
    .option('--name-prefix <prefix>', 'nodes whose name starts with this')
    .option('--concurrency <n>', 'introspections at a time', positiveInt)
    .option('--node-timeout <seconds>', 'give up on a node after this long', positiveSeconds)
    .option('--boot-timeout <seconds>', 'power-cycle a node again when its agent has not called back after this long (default 600)', positiveSeconds)
    .option('--boot-attempts <n>', 'boots tried per node (default 2)', positiveInt)
    .option('--stagger <seconds>', 'pause between power-ons', nonNegativeNumber)
    .option('--no-wait', 'print the bulk id and return at once')
    .addHelpText(
      'after',
      '\nExit status: 0 when every node was introspected; 1 when any failed or was skipped, or the run was aborted;\n' +
        '130 after Ctrl-C (the run goes on; abort it with `introspector introspection bulk abort ID`).',
    )
    .action((idents: string[], opts: StartOptions) => startBulk(ctx, idents, opts));

  bulk
    .command('status')
    .description('show the state, counts, failures and skipped nodes of a bulk introspection')
    .argument('<id>', 'bulk id')
    .option('--all', `every node (pages of 1000), not only the first ${SUMMARY_NODES * 2} failed, skipped or running`)
    .action((id: string, opts: { all?: boolean }) => bulkStatus(ctx, id, opts));

  bulk
    .command('abort')
    .description('abort a bulk introspection')
    .argument('<id>', 'bulk id')
    .action((id: string) => bulkAbort(ctx, id));

  bulk
    .command('list')
    .description('list bulk introspections, newest first')
    .option('--limit <n>', 'at most this many', positiveInt)
    .option('--marker <id>', 'the page after this bulk (the last id of the previous page)')
    .action((opts: { limit?: number; marker?: string }) => bulkList(ctx, opts));
}

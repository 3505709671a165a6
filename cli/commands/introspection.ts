// introspector introspection start|status|list|abort|data save|reprocess|history|diff — the inspector API.

import { promises as fs } from 'node:fs';
import type { Command } from 'commander';
import type { IntrospectionStatusBody } from '../../common/api-types';
import { isBootPhase, phaseLabel } from '../../common/boot-phases';
import { CommandFailed, type Context, EXIT } from '../context';
import { formatDuration, formatElapsed, humanizeDetail, renderFields, renderTable, toJson } from '../format';
import type { HistoryDiffBody, HistoryEntryBody } from '../../api/introspections';
import { formatDiff } from '../diff-table';
import { ApiError, seg } from '../http';
import { positiveInt } from '../options';
import { PollErrors } from '../poll';

export interface StatusBody extends IntrospectionStatusBody {
  [key: string]: unknown;
}

export const INTROSPECTION_POLL_MS = 2000;

export function statusFields(s: StatusBody, now: number): [string, unknown][] {
  const fields: [string, unknown][] = [
    ['node', s.uuid],
    ['state', s.state],
    ['finished', s.finished],
    ['error', s.error],
    ['started_at', s.started_at],
    ['finished_at', s.finished_at],
    ['elapsed', formatElapsed(s.started_at, s.finished_at, now)],
  ];
  if (s.detail) fields.push(['detail', humanizeDetail(s.detail, now)]);
  if (s.boot_phases) {
    fields.push(['boot_phase', s.boot_phase && label(s.boot_phase)], ['boot_phases', phaseTimeline(s.boot_phases)]);
    if (s.hint) fields.push(['hint', s.hint]);
  }
  return fields;
}

const label = (phase: string) => (isBootPhase(phase) ? phaseLabel(phase) : phase);

/** "power-on accepted +0s, iPXE script fetched +41s, ...": each phase's time after the first. */
function phaseTimeline(phases: { phase: string; at: string }[]): string {
  const first = Date.parse(phases[0]?.at);
  return phases.map((p) => `${label(p.phase)} +${formatDuration(Date.parse(p.at) - first)}`).join(', ');
}

async function start(ctx: Context, idents: string[], wait: boolean): Promise<void> {
  const started: string[] = [];
  const failed: { node: string; error: string }[] = [];
  for (const ident of idents) {
    try {
      await ctx.inspector.post(`/v1/introspection/${seg(ident)}`);
      started.push(ident);
      if (!ctx.json) ctx.out(`Introspection of ${ident} started`);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      failed.push({ node: ident, error: err.message });
      ctx.err(`error: ${ident}: ${err.message}`);
      ctx.fail();
    }
  }
  if (!wait || started.length === 0) {
    if (ctx.json) ctx.printJson({ started, failed });
    return;
  }

  const statuses = new Map<string, StatusBody>();
  const lastLine = new Map<string, string>();
  const errors = new PollErrors(ctx.io.now);
  const interrupted = await ctx.interruptible(async (signal) => {
    for (;;) {
      for (const ident of started) {
        if (statuses.get(ident)?.finished) continue;
        try {
          const s = await ctx.inspector.get<StatusBody>(`/v1/introspection/${seg(ident)}`, { signal });
          errors.ok();
          statuses.set(ident, s);
          const line = `${ident}: ${s.state}${s.detail ? ` (${s.detail})` : ''}${s.error ? `: ${s.error}` : ''}`;
          if (lastLine.get(ident) !== line) {
            lastLine.set(ident, line);
            ctx.err(line);
          }
        } catch (err) {
          ctx.err(errors.absorb(err));
        }
      }
      if (started.every((ident) => statuses.get(ident)?.finished)) return;
      await ctx.io.sleep(INTROSPECTION_POLL_MS, signal);
      if (signal.aborted) return;
    }
  });

  if (interrupted) {
    ctx.err(
      'Stopped waiting; the introspection goes on on the server.\n' +
        `  status: introspector introspection status ${started[0]}\n` +
        `  abort:  introspector introspection abort ${started[0]}`,
    );
    ctx.exitCode = EXIT.INTERRUPTED;
    return;
  }
  const final = started.map((ident) => ({ node: ident, status: statuses.get(ident)! }));
  if (final.some((f) => f.status.error || f.status.state === 'error')) ctx.fail();
  if (ctx.json) {
    ctx.printJson({ started: final.map((f) => f.status), failed });
    return;
  }
  const now = ctx.io.now();
  ctx.out(
    renderTable(
      ['node', 'uuid', 'state', 'error', 'elapsed'],
      final.map(({ node, status: s }) => [node, s.uuid, s.state, s.error, formatElapsed(s.started_at, s.finished_at, now)]),
    ),
  );
}

async function status(ctx: Context, ident: string): Promise<void> {
  const s = await ctx.inspector.get<StatusBody>(`/v1/introspection/${seg(ident)}`);
  if (ctx.json) return ctx.printJson(s);
  ctx.out(renderFields(statusFields(s, ctx.io.now())));
}

interface ListOptions {
  limit?: number;
  marker?: string;
  state?: string;
  bulk?: string;
}

async function list(ctx: Context, opts: ListOptions): Promise<void> {
  const query = { limit: opts.limit, marker: opts.marker, state: opts.state, bulk: opts.bulk };
  const body = await ctx.inspector.get<{ introspection: StatusBody[] }>('/v1/introspection', { query });
  if (ctx.json) return ctx.printJson(body);
  const now = ctx.io.now();
  ctx.out(
    renderTable(
      ['uuid', 'state', 'error', 'started at', 'elapsed'],
      (body?.introspection ?? []).map((s) => [
        s.uuid,
        s.state,
        s.error,
        s.started_at,
        formatElapsed(s.started_at, s.finished_at, now),
      ]),
    ),
  );
}

async function abort(ctx: Context, ident: string): Promise<void> {
  await ctx.inspector.post(`/v1/introspection/${seg(ident)}/abort`);
  if (ctx.json) ctx.printJson({ node: ident, abort: 'requested' });
  else ctx.out(`Abort of the introspection of ${ident} requested`);
}

async function saveData(ctx: Context, ident: string, opts: { file?: string; unprocessed?: boolean }): Promise<void> {
  const path = `/v1/introspection/${seg(ident)}/data${opts.unprocessed ? '/unprocessed' : ''}`;
  const data = await ctx.inspector.get(path);
  if (!opts.file) {
    ctx.io.stdout.write(toJson(data));
    return;
  }
  try {
    await fs.writeFile(opts.file, toJson(data));
  } catch (err) {
    throw new CommandFailed(`--file: cannot write ${opts.file}: ${(err as Error).message}`);
  }
  ctx.err(`Saved the ${opts.unprocessed ? 'unprocessed' : 'processed'} introspection data of ${ident} to ${opts.file}`);
}

async function reprocess(ctx: Context, ident: string): Promise<void> {
  await ctx.inspector.post(`/v1/introspection/${seg(ident)}/data/unprocessed`);
  if (ctx.json) ctx.printJson({ node: ident, reprocess: 'started' });
  else ctx.out(`Reprocessing of the stored data of ${ident} started`);
}

async function history(ctx: Context, ident: string, opts: { limit?: number; marker?: number }): Promise<void> {
  const body = await ctx.inspector.get<{ history: HistoryEntryBody[] }>(`/v1/introspection/${seg(ident)}/history`, { query: opts });
  if (ctx.json) return ctx.printJson(body);
  ctx.out(renderTable(['id', 'finished', 'source', 'sha256'], body.history.map((e) => [e.id, e.finished_at, e.source, e.sha256])));
}

const entryLabel = (e: HistoryEntryBody) => `${e.id} (${e.source}, ${e.finished_at})`;

async function diff(ctx: Context, ident: string, opts: { from?: number; to?: number }): Promise<void> {
  const body = await ctx.inspector.get<HistoryDiffBody>(`/v1/introspection/${seg(ident)}/diff`, { query: opts });
  if (ctx.json) return ctx.printJson(body);
  ctx.out(`${ident}: from introspection ${entryLabel(body.from)} to ${entryLabel(body.to)}`);
  ctx.out(formatDiff(body.diff));
}

/** Registers `introspection` and returns it, so that `bulk` can hang under it. */
export function registerIntrospectionCommands(program: Command, ctx: Context): Command {
  const intro = program.command('introspection').description('introspect nodes (inspector API)');

  intro
    .command('start')
    .description('start introspecting one or more nodes')
    .argument('<node...>', 'node uuids or names')
    .option('--wait', `wait until every introspection ends (polls every ${INTROSPECTION_POLL_MS / 1000}s)`)
    .action((idents: string[], opts: { wait?: boolean }) => start(ctx, idents, opts.wait === true));

  intro
    .command('status')
    .description('show the introspection status of a node')
    .argument('<node>', 'node uuid or name')
    .action((ident: string) => status(ctx, ident));

  intro
    .command('list')
    .description("each node's latest introspection, newest first")
    .option('--limit <n>', 'at most this many (the server allows up to 1000, its default)', positiveInt)
    .option('--marker <uuid>', 'the page after this node (the last uuid of the previous page)')
    .option('--state <states>', 'only these states, comma-separated (e.g. waiting,processing)')
    .option('--bulk <id>', 'only the nodes of this bulk run')
    .action((opts: ListOptions) => list(ctx, opts));

  intro
    .command('abort')
    .description('abort the running introspection of a node (it is powered off)')
    .argument('<node>', 'node uuid or name')
    .action((ident: string) => abort(ctx, ident));

  intro
    .command('data')
    .description('introspection data')
    .command('save')
    .description('write the stored introspection data as JSON')
    .argument('<node>', 'node uuid or name')
    .option('--file <file>', 'write to this file instead of stdout')
    .option('--unprocessed', 'the raw data the agent sent instead of the processed data')
    .action((ident: string, opts: { file?: string; unprocessed?: boolean }) => saveData(ctx, ident, opts));

  intro
    .command('reprocess')
    .description('run processing again on the stored raw data, without a reboot')
    .argument('<node>', 'node uuid or name')
    .action((ident: string) => reprocess(ctx, ident));

  intro
    .command('history')
    .description("a node's accepted introspections, newest first (each one's data: GET /v1/introspection/NODE/history/ID)")
    .argument('<node>', 'node uuid or name')
    .option('--limit <n>', 'at most this many (the server allows up to 1000, its default)', positiveInt)
    .option('--marker <id>', 'the page after this entry (the last id of the previous page)', positiveInt)
    .action((ident: string, opts: { limit?: number; marker?: number }) => history(ctx, ident, opts));

  intro
    .command('diff')
    .description('hardware changes between two introspections of a node (default: the one before the latest, and the latest)')
    .argument('<node>', 'node uuid or name')
    .option('--from <id>', 'the older introspection (an id of `introspection history`; default: the one before --to)', positiveInt)
    .option('--to <id>', 'the newer introspection (default: the latest)', positiveInt)
    .action((ident: string, opts: { from?: number; to?: number }) => diff(ctx, ident, opts));

  return intro;
}

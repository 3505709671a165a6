// `logs`: logs = base64 of a tar.gz with the recent system journal (or the
// kernel ring buffer when there is no journal), like IPA's
// collect_system_logs; ironic-inspector stores it as <node>_<time>.tar.gz.
// Runs last so that it sees what the other collectors logged. dmesg and the journal
// carry the kernel command line, so every file goes through ctx.redact (the agent token).

import type { CollectorContext } from '../context';
import { type TarEntry, tarGz } from '../tar';
import type { Collector } from './types';

const MAX_FILE_BYTES = 4 * 1024 * 1024;
const LINES = 1000;

function tail(text: string, lines: number): string {
  const all = text.split('\n');
  const kept = all.length > lines ? all.slice(-lines - 1) : all;
  let out = kept.join('\n');
  if (Buffer.byteLength(out) > MAX_FILE_BYTES) out = out.slice(-MAX_FILE_BYTES);
  return out;
}

/** The command's output, redacted; null when it is missing or fails. */
async function run(ctx: CollectorContext, command: string, args: string[]): Promise<string | null> {
  const tool = await ctx.which(command);
  if (!tool) return null;
  const out = await ctx.exec(tool, args, { timeoutMs: 20000 });
  if (out.code !== 0) return null;
  // Before any truncation, which could cut the token pattern in half.
  return ctx.redact(out.stdout);
}

export async function gatherLogFiles(ctx: CollectorContext): Promise<TarEntry[]> {
  const files: TarEntry[] = [];
  const journal = await run(ctx, 'journalctl', ['--no-pager', '-n', String(LINES)]);
  const journalUseful = journal !== null && journal.trim() !== '' && !/^-- No entries --\s*$/m.test(journal.trim());
  if (journal !== null && journalUseful) files.push({ name: 'journal', data: tail(journal, LINES) });
  const dmesg = await run(ctx, 'dmesg', []);
  if (dmesg !== null && dmesg.trim()) files.push({ name: 'dmesg', data: tail(dmesg, LINES) });
  for (const [name, command, args] of [
    ['ip_addr', 'ip', ['addr']],
    ['lsblk', 'lsblk', ['--all', '-o', '+UUID,MODEL,SERIAL,WWN']],
  ] as const) {
    const out = await run(ctx, command, [...args]);
    if (out) files.push({ name, data: tail(out, LINES) });
  }
  if (!files.some((f) => f.name === 'journal' || f.name === 'dmesg')) {
    files.push({ name: 'note', data: 'neither journalctl nor dmesg produced any output on this machine\n' });
  }
  return files;
}

export const collectLogs: Collector = async (data, ctx) => {
  const files = await gatherLogFiles(ctx);
  const archive = tarGz(files);
  data.logs = archive.toString('base64');
  ctx.log.info('logs collected', { files: files.map((f) => f.name).join(','), bytes: archive.length });
};

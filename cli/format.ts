// Pure formatting helpers for the command line: tables, field lists, durations.

/** A cell as text: null/undefined/'' → '-', objects as compact JSON, one line. */
export function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (typeof value === 'string') return oneLine(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return oneLine(JSON.stringify(value));
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ');
}

/**
 * Columns aligned with two spaces between them, headers in capitals, no trailing blanks:
 *
 *     UUID      NAME       STATE
 *     1b4e...   rack1-u07  manageable
 */
export function renderTable(headers: string[], rows: unknown[][]): string {
  const text = rows.map((row) => headers.map((_, i) => cell(row[i])));
  const head = headers.map((h) => h.toUpperCase());
  const widths = head.map((h, i) => Math.max(h.length, ...text.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(head), ...text.map(line)].join('\n') + '\n';
}

/** One field per line, names aligned: `name:  value`. */
export function renderFields(fields: [string, unknown][]): string {
  const width = Math.max(0, ...fields.map(([name]) => name.length + 1));
  return fields.map(([name, value]) => `${(name + ':').padEnd(width)}  ${cell(value)}`.trimEnd()).join('\n') + '\n';
}

/**
 * A duration as people read it: 0s, 42s, 4m12s, 1h05m, 2d03h. Negative
 * (clock skew between the API and this machine) counts as zero.
 */
export function formatDuration(ms: number): string {
  const total = Number.isFinite(ms) ? Math.max(0, Math.floor(ms / 1000)) : 0;
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600) % 24;
  const d = Math.floor(total / 86400);
  const two = (n: number) => String(n).padStart(2, '0');
  if (d > 0) return `${d}d${two(h)}h`;
  if (h > 0) return `${h}h${two(m)}m`;
  if (m > 0) return `${m}m${two(s)}s`;
  return `${s}s`;
}

/** Milliseconds from an ISO time to another (or to `now`); undefined when `from` is unset or unparseable. */
export function elapsedMs(from: string | null | undefined, to: string | null | undefined, now: number): number | undefined {
  if (!from) return undefined;
  const start = Date.parse(from);
  if (Number.isNaN(start)) return undefined;
  const end = to ? Date.parse(to) : now;
  return Number.isNaN(end) ? undefined : end - start;
}

/** `formatDuration(elapsedMs(...))`, or '-' when the start is unknown. */
export function formatElapsed(from: string | null | undefined, to: string | null | undefined, now: number): string {
  const ms = elapsedMs(from, to, now);
  return ms === undefined ? '-' : formatDuration(ms);
}

/** Pretty JSON with a final newline, for --json and data files. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

const ISO_TIME = /\bat (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)/g;

/** The server's detail sentence with its timestamps made relative: "powered on at <iso>" → "powered on 4m12s ago". */
export function humanizeDetail(detail: string, now: number): string {
  return detail.replace(ISO_TIME, (_match, iso: string) => `${formatDuration(Math.max(0, now - Date.parse(iso)))} ago`);
}

import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { normalizeMac } from '../../common/mac';
import { describeZodError } from '../../common/validation';

// The cabling plan: a CSV file `node,nic,switch,port` (a header line, then one row per cable).
// node: a node's name or uuid; nic: an interface name or MAC; switch: the LLDP chassis id or
// system name the NIC must see; port: the LLDP port id.

const MAX_PLAN_BYTES = 16 * 1024 * 1024;
const MAX_ROWS = 200000;
const MAX_FIELD = 255;
const COLUMNS = ['node', 'nic', 'switch', 'port'] as const;

const RowSchema = z.object({
  node: z.string().min(1).max(MAX_FIELD),
  nic: z.string().min(1).max(MAX_FIELD),
  switch: z.string().min(1).max(MAX_FIELD),
  port: z.string().min(1).max(MAX_FIELD),
});
export type CablingRow = z.infer<typeof RowSchema>;

/** RFC 4180 records, read a character at a time (no regex), each with the line it starts on. */
function* records(text: string): Generator<{ line: number; fields: string[] }> {
  let line = 1;
  let start = 1;
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        field += c;
      }
      if (field.length > MAX_FIELD) throw new Error(`line ${start}: a field longer than ${MAX_FIELD} characters`);
    } else if (c === '"' && field === '' && !wasQuoted) {
      quoted = wasQuoted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
      wasQuoted = false;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      fields.push(field);
      yield { line: start, fields };
      fields = [];
      field = '';
      wasQuoted = false;
      start = ++line;
    } else {
      if (wasQuoted) throw new Error(`line ${start}: text after a closing quote`);
      field += c;
      if (field.length > MAX_FIELD) throw new Error(`line ${start}: a field longer than ${MAX_FIELD} characters`);
    }
  }
  if (quoted) throw new Error(`line ${start}: a quote is never closed`);
  if (field !== '' || fields.length) yield { line: start, fields: [...fields, field] };
}

/** The plan's rows; a bad row is an error naming its line. NIC MACs are normalised; a (node, nic) planned twice is refused. */
export function parseCablingPlan(text: string): CablingRow[] {
  const rows: CablingRow[] = [];
  const seen = new Map<string, number>();
  let header = true;
  for (const { line, fields } of records(text)) {
    if (fields.length === 1 && fields[0].trim() === '') continue; // blank line
    const cells = fields.map((f) => f.trim());
    if (header) {
      if (cells.join(',').toLowerCase() !== COLUMNS.join(',')) throw new Error(`line ${line}: the header must be ${COLUMNS.join(',')}`);
      header = false;
      continue;
    }
    if (cells.length !== COLUMNS.length) throw new Error(`line ${line}: ${cells.length} fields, expected ${COLUMNS.length} (${COLUMNS.join(',')})`);
    const parsed = RowSchema.safeParse(Object.fromEntries(COLUMNS.map((c, i) => [c, cells[i]])));
    if (!parsed.success) throw new Error(`line ${line}: ${describeZodError(parsed.error)}`);
    const row = { ...parsed.data, nic: normalizeMac(parsed.data.nic) ?? parsed.data.nic };
    const key = `${row.node}\n${row.nic}`;
    if (seen.has(key)) throw new Error(`line ${line}: node ${row.node} NIC ${row.nic} is already planned on line ${seen.get(key)}`);
    seen.set(key, line);
    rows.push(row);
    if (rows.length > MAX_ROWS) throw new Error(`line ${line}: more than ${MAX_ROWS} rows`);
  }
  if (header) throw new Error(`line 1: the header must be ${COLUMNS.join(',')}`);
  return rows;
}

export function loadCablingPlan(file: string): CablingRow[] {
  try {
    if (statSync(file).size > MAX_PLAN_BYTES) throw new Error(`larger than ${MAX_PLAN_BYTES} bytes`);
    return parseCablingPlan(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
}

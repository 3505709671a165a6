import type { Disk } from '../../common/inventory';
import { GiB } from './helpers';

// Root device hints as ironic matches them (ironic_lib / ironic-inspector
// device_hints + oslo.utils specs_matcher): every hint must match; string hints
// are compared case-insensitively after trimming and URL-quoting both sides;
// `size` is in GiB; `rotational` is a boolean; a plain value means equality.

type HintType = 'str' | 'int' | 'bool';

export const HINT_TYPES: Record<string, HintType> = {
  size: 'int',
  model: 'str',
  wwn: 'str',
  serial: 'str',
  vendor: 'str',
  wwn_with_extension: 'str',
  wwn_vendor_extension: 'str',
  name: 'str',
  rotational: 'bool',
  hctl: 'str',
  by_path: 'str',
};

// Longest first, so that `s<=` wins over `s<` and `==` over `=`.
const OPERATORS = ['<in>', '<or>', 's==', 's!=', 's<=', 's>=', 's<', 's>', '==', '!=', '<=', '>=', '=', '<', '>'];
const NUMERIC_OPS = new Set(['==', '!=', '<=', '>=', '<', '>', '=']);
const TRUE_STRINGS = new Set(['1', 't', 'true', 'on', 'y', 'yes']);
const FALSE_STRINGS = new Set(['0', 'f', 'false', 'off', 'n', 'no']);

/** Raised for hints that are not valid (unknown name, wrong type, bad operator). */
export class InvalidHintError extends Error {}

interface ParsedHint {
  name: string;
  type: HintType;
  op: string;
  values: (string | number | boolean)[];
}

/** Python's urllib.parse.quote (safe='/'). */
function quote(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%2F/g, '/');
}

function splitOperator(expression: string): { op: string; values: string[] } {
  const op = OPERATORS.find((o) => expression.startsWith(o));
  if (!op) return { op: '', values: [expression] };
  if (op === '<or>') {
    const values = expression
      .split('<or>')
      .map((v) => v.trim())
      .filter((v) => v.length > 0);
    return { op, values };
  }
  return { op, values: [expression.slice(op.length).trim()] };
}

function withDevPrefix(name: string): string {
  return name.startsWith('/') ? name : `/dev/${name}`;
}

function parseBool(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  const s = String(value).trim().toLowerCase();
  if (TRUE_STRINGS.has(s)) return true;
  if (FALSE_STRINGS.has(s)) return false;
  return null;
}

function parseHint(name: string, raw: unknown): ParsedHint {
  const type = HINT_TYPES[name];
  if (!type) {
    throw new InvalidHintError(
      `The hint "${name}" is invalid. Valid hints are: ${Object.keys(HINT_TYPES).join(', ')}`,
    );
  }
  if (type === 'bool') {
    const b = parseBool(raw);
    if (b === null) throw new InvalidHintError(`Root device hint "${name}" is not a Boolean value: ${String(raw)}`);
    return { name, type, op: '', values: [b] };
  }
  if (typeof raw !== 'string' && typeof raw !== 'number') {
    throw new InvalidHintError(`Root device hint "${name}" is not a ${type === 'int' ? 'number' : 'string'}: ${JSON.stringify(raw)}`);
  }
  const expression = String(raw).trim().toLowerCase();
  if (!expression) throw new InvalidHintError(`Root device hint "${name}" expression is empty`);
  const { op, values } = splitOperator(expression);
  if (values.length === 0 || values.some((v) => v.length === 0)) {
    throw new InvalidHintError(`Root device hint "${name}" has an operator but no value: ${expression}`);
  }

  if (type === 'int') {
    if (op && !NUMERIC_OPS.has(op) && op !== '<or>') {
      throw new InvalidHintError(`Root device hint "${name}" does not support the operator ${op}`);
    }
    const numbers = values.map((v) => {
      if (!/^\+?\d+$/.test(v) || Number(v) <= 0) {
        throw new InvalidHintError(`Root device hint "${name}" should be a positive integer: ${String(raw)}`);
      }
      return Number(v);
    });
    return { name, type, op: op || '==', values: numbers };
  }

  const effectiveOp = op || 's==';
  // Names compare with or without /dev/; substring matching (`<in>`) is left as written.
  const prefixName = name === 'name' && effectiveOp !== '<in>';
  return {
    name,
    type,
    op: effectiveOp,
    values: values.map((v) => quote(prefixName ? withDevPrefix(v) : v)),
  };
}

/** Parses and validates a node's `root_device` property. Throws InvalidHintError. */
export function parseRootDeviceHints(hints: Record<string, unknown>): ParsedHint[] {
  return Object.entries(hints).map(([name, value]) => parseHint(name, value));
}

function toNumber(value: string | number | boolean, hint: string): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (typeof value === 'boolean' || (typeof value === 'string' && value.trim() === '') || Number.isNaN(n)) {
    throw new InvalidHintError(`Cannot compare "${String(value)}" numerically for hint "${hint}"`);
  }
  return n;
}

function compare(op: string, actual: string | number, values: (string | number | boolean)[], hint: string): boolean {
  const expected = values[0];
  if (op === '<or>') {
    return values.some((v) => (typeof actual === 'number' ? actual === toNumber(v, hint) : actual === v));
  }
  if (NUMERIC_OPS.has(op)) {
    const a = toNumber(actual, hint);
    const b = toNumber(expected, hint);
    switch (op) {
      case '==':
        return a === b;
      case '!=':
        return a !== b;
      case '<=':
        return a <= b;
      case '<':
        return a < b;
      case '>':
        return a > b;
      default: // '>=' and the legacy '='
        return a >= b;
    }
  }
  const a = String(actual);
  const b = String(expected);
  switch (op) {
    case 's==':
      return a === b;
    case 's!=':
      return a !== b;
    case 's<=':
      return a <= b;
    case 's>=':
      return a >= b;
    case 's<':
      return a < b;
    case 's>':
      return a > b;
    case '<in>':
      return a.includes(b);
    default:
      throw new InvalidHintError(`Unknown operator ${op} for hint "${hint}"`);
  }
}

function diskMatches(disk: Disk, hints: ParsedHint[]): boolean {
  const record = disk as Record<string, unknown>;
  for (const hint of hints) {
    const raw = record[hint.name];
    if (hint.type === 'bool') {
      const actual = raw === null || raw === undefined ? null : parseBool(raw);
      if (actual === null || actual !== hint.values[0]) return false;
      continue;
    }
    if (hint.type === 'int') {
      if (typeof raw !== 'number') return false;
      // Hints are GiB; the inventory is bytes (true division, as ironic).
      if (!compare(hint.op, raw / GiB, hint.values, hint.name)) return false;
      continue;
    }
    if (raw === null || raw === undefined) return false;
    let actual = String(raw).trim().toLowerCase();
    if (!actual) return false; // empty attribute: device skipped, as ironic
    if (hint.name === 'name') actual = withDevPrefix(actual);
    if (!compare(hint.op, quote(actual), hint.values, hint.name)) return false;
  }
  return true;
}

/** The first disk satisfying every hint, or null. Throws InvalidHintError on invalid hints. */
export function matchRootDeviceHints(disks: Disk[], hints: Record<string, unknown>): Disk | null {
  const parsed = parseRootDeviceHints(hints);
  return disks.find((d) => diskMatches(d, parsed)) ?? null;
}

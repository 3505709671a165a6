import { toText } from '../../common/value-text';
import { assertReadableNodeKey } from './fields';
import { assertSafeKey, childValue } from './keys';

// ironic-inspector formats the `value` of set-attribute, extend-attribute and
// set-capability with Python's str.format(data=<introspection data>), recursively
// through lists and dicts (keys too). We support the same replacement fields over
// `data` and, in addition, `node` (the node view):
//
//   "{data[inventory][cpu][count]}"  "{data[inventory][interfaces][0][mac_address]}"
//   "{node[properties][memory_mb]}"  "{{" and "}}" for literal braces
//
// `.name` is accepted as `[name]`. Conversions (`!r`) and format specs (`:>8`) are not
// supported and raise. A replaced value is inserted as text (JSON for lists/objects).
// Templates are checked when a rule is created (checkTemplates): bad syntax, unknown
// variables, forbidden keys and secret node fields are refused then.

export type FormatVariables = Record<string, unknown>;

/** The variables of ironic-inspector's rules; Ironic's rules have others (ironic-schema.ts). */
const VARIABLES: readonly string[] = ['data', 'node'];

/** Text one formatted value may grow to: a rule copying data must not blow up the node record. */
export const MAX_FORMATTED_LENGTH = 64 * 1024;

/** A replacement field: `{name[key][key]...}` as written (`text`), the variable and the keys below it. */
interface Replacement {
  text: string;
  name: string;
  keys: string[];
}

type TemplatePart = string | Replacement;

const NAME_CHAR = /[A-Za-z0-9_]/;

/** Parses the inside of `{...}`; throws on what Python would refuse or we do not support. */
function parseReplacement(field: string, names: readonly string[]): Replacement {
  const text = `{${field}}`;
  let i = 0;
  while (i < field.length && NAME_CHAR.test(field[i]!)) i++;
  const name = field.slice(0, i);
  if (!names.includes(name)) throw new Error(`invalid formatting variable key "${name}" in "${text}" (use ${names.join(', ')})`);
  const keys: string[] = [];
  while (i < field.length) {
    let end: number;
    if (field[i] === '[') {
      end = field.indexOf(']', i);
      if (end < 0) throw new Error(`unterminated "[" in formatting field "${text}"`);
      keys.push(field.slice(i + 1, end));
      end++;
    } else if (field[i] === '.') {
      end = i + 1;
      while (end < field.length && !'.[!:'.includes(field[end]!)) end++;
      keys.push(field.slice(i + 1, end));
    } else {
      throw new Error(`unsupported formatting field "${text}" (conversions and format specs are not supported)`);
    }
    if (keys[keys.length - 1] === '') throw new Error(`empty key in formatting field "${text}"`);
    i = end;
  }
  for (const key of keys) assertSafeKey(key, `formatting field "${text}"`);
  if (name === 'node') assertReadableNodeKey(keys[0], `formatting field "${text}"`);
  return { text, name, keys };
}

/** Splits a Python format string into literal text and replacement fields; throws when it is invalid. */
export function parseTemplate(template: string, names: readonly string[] = VARIABLES): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = '';
  let i = 0;
  while (i < template.length) {
    const ch = template[i]!;
    if ((ch === '{' || ch === '}') && template[i + 1] === ch) {
      literal += ch;
      i += 2;
    } else if (ch === '{') {
      const end = template.indexOf('}', i);
      if (end < 0) throw new Error(`single "{" in ${JSON.stringify(template)}`);
      parts.push(literal, parseReplacement(template.slice(i + 1, end), names));
      literal = '';
      i = end + 1;
    } else if (ch === '}') {
      throw new Error(`single "}" in ${JSON.stringify(template)}`);
    } else {
      literal += ch;
      i++;
    }
  }
  parts.push(literal);
  return parts;
}

function lookup({ text, name, keys }: Replacement, vars: FormatVariables): unknown {
  let value = childValue(vars, name);
  if (value === undefined) throw new Error(`invalid formatting variable key "${name}" in "${text}"`);
  for (const key of keys) {
    value = childValue(value, key);
    if (value === undefined) throw new Error(`invalid formatting variable key: ${JSON.stringify(key)} not found for "${text}"`);
  }
  return value;
}

/** What is left of MAX_FORMATTED_LENGTH while one value is formatted. */
interface Budget {
  left: number;
}

function spend(budget: Budget, text: string): string {
  budget.left -= text.length;
  if (budget.left < 0) throw new Error(`formatted value is longer than ${MAX_FORMATTED_LENGTH} characters`);
  return text;
}

function format(template: string, vars: FormatVariables, budget: Budget): string {
  return parseTemplate(template, Object.keys(vars))
    .map((part) => spend(budget, typeof part === 'string' ? part : toText(lookup(part, vars))))
    .join('');
}

/** Python-style `text.format(**vars)` for the supported subset; throws on a bad or missing key. */
export function formatString(text: string, vars: FormatVariables): string {
  return format(text, vars, { left: MAX_FORMATTED_LENGTH });
}

function formatAny(value: unknown, vars: FormatVariables, budget: Budget): unknown {
  if (typeof value === 'string') return format(value, vars, budget);
  if (Array.isArray(value)) return value.map((v) => formatAny(v, vars, budget));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // A key filled from the data could still be a forbidden one.
      const key = format(k, vars, budget);
      assertSafeKey(key, `formatted key ${JSON.stringify(k)}`);
      out[key] = formatAny(v, vars, budget);
    }
    return out;
  }
  return value;
}

/** Formats strings inside a value, recursively through lists and objects (keys and values). */
export function formatValue<T>(value: T, vars: FormatVariables): T {
  return formatAny(value, vars, { left: MAX_FORMATTED_LENGTH }) as T;
}

function* strings(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const v of value) yield* strings(v);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      yield k;
      yield* strings(v);
    }
  }
}

/** Checks every template in a value to be formatted (strings and object keys); throws on the first bad one. */
export function checkTemplates(value: unknown, names: readonly string[] = VARIABLES): void {
  for (const text of strings(value)) parseTemplate(text, names);
}

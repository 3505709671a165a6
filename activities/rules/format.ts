import { toText } from './conditions';

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

export type FormatVariables = Record<string, unknown>;

function lookup(field: string, vars: FormatVariables, original: string): unknown {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(.*)$/s.exec(field);
  if (!m) throw new Error(`invalid formatting field "{${field}}" in ${JSON.stringify(original)}`);
  const [, name, rest] = m as unknown as [string, string, string];
  if (!Object.prototype.hasOwnProperty.call(vars, name)) {
    throw new Error(`invalid formatting variable key "${name}" in ${JSON.stringify(original)} (use data or node)`);
  }
  let value: unknown = vars[name];
  let i = 0;
  while (i < rest.length) {
    let key: string;
    if (rest[i] === '[') {
      const end = rest.indexOf(']', i);
      if (end < 0) throw new Error(`unterminated "[" in formatting field "{${field}}"`);
      key = rest.slice(i + 1, end);
      i = end + 1;
    } else if (rest[i] === '.') {
      const m2 = /^\.([^.[]+)/.exec(rest.slice(i));
      if (!m2) throw new Error(`invalid formatting field "{${field}}"`);
      key = m2[1]!;
      i += m2[0].length;
    } else {
      throw new Error(`unsupported formatting field "{${field}}" (conversions and format specs are not supported)`);
    }
    if (Array.isArray(value) && /^\d+$/.test(key) && Number(key) < value.length) {
      value = value[Number(key)];
    } else if (
      typeof value === 'object' && value !== null && !Array.isArray(value) &&
      Object.prototype.hasOwnProperty.call(value, key) && (value as Record<string, unknown>)[key] !== undefined
    ) {
      value = (value as Record<string, unknown>)[key];
    } else {
      throw new Error(`invalid formatting variable key: ${JSON.stringify(key)} not found for "{${field}}"`);
    }
  }
  return value;
}

/** Python-style `text.format(**vars)` for the supported subset; throws on a bad or missing key. */
export function formatString(text: string, vars: FormatVariables): string {
  if (!text.includes('{') && !text.includes('}')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '{') {
      if (text[i + 1] === '{') {
        out += '{';
        i += 2;
        continue;
      }
      const end = text.indexOf('}', i);
      if (end < 0) throw new Error(`single "{" in ${JSON.stringify(text)}`);
      out += toText(lookup(text.slice(i + 1, end), vars, text));
      i = end + 1;
    } else if (ch === '}') {
      if (text[i + 1] !== '}') throw new Error(`single "}" in ${JSON.stringify(text)}`);
      out += '}';
      i += 2;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/** Formats strings inside a value, recursively through lists and objects (keys and values). */
export function formatValue<T>(value: T, vars: FormatVariables): T {
  if (typeof value === 'string') return formatString(value, vars) as T;
  if (Array.isArray(value)) return value.map((v) => formatValue(v, vars)) as T;
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[formatString(k, vars)] = formatValue(v, vars);
    return out as T;
  }
  return value;
}

import type { HookContext, HookNode, PortSpec } from '../hooks/types';
import { assertSafeKey } from './keys';

// Field paths of rule conditions, as ironic-inspector's: an optional scheme
// (`data://`, the default, or `node://`) and a JSONPath-like path (ironic-inspector
// uses jsonpath_rw). The subset understood here:
//
//   inventory.cpu.count                 dotted keys (an optional leading `$.`)
//   inventory.interfaces[0].name        list index
//   inventory.interfaces[*].ipv4_address every element of a list
//   all_interfaces.*.ip                 every value of an object
//   all_interfaces.'eth0.100'.ip        quoted key (for keys holding dots)
//
// Descendant (`..`), filters, slices and unions are not supported and are rejected, as
// are the keys `__proto__`, `constructor` and `prototype`, and node fields that may hold
// secrets (`node://driver_info...`).

export type FieldScheme = 'data' | 'node';

export type PathSegment =
  | { kind: 'key'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'each' } // [*]
  | { kind: 'values' }; // .*

export interface ParsedField {
  scheme: FieldScheme;
  path: string;
  segments: PathSegment[];
}

const NAME_CHARS = /[A-Za-z0-9_@\-]/;

/** Splits `scheme://path` (scheme defaults to data) and parses the path; throws on a bad field. */
export function parseField(field: string): ParsedField {
  let scheme: string = 'data';
  let path = field;
  const at = field.indexOf('://');
  if (at >= 0) {
    scheme = field.slice(0, at);
    path = field.slice(at + 3);
  }
  if (scheme !== 'data' && scheme !== 'node') {
    throw new Error(`unsupported scheme "${scheme}", valid values are node:// or data://`);
  }
  const segments = parsePath(path);
  for (const seg of segments) if (seg.kind === 'key') assertSafeKey(seg.name, `field "${field}"`);
  if (scheme === 'node') assertReadableNodeKey(segments[0]?.kind === 'key' ? segments[0].name : undefined, `field "${field}"`);
  return { scheme, path, segments };
}

/** Node fields that hold or may one day hold secrets (BMC credentials, agent tokens). */
const SECRET_NODE_FIELDS = new Set(['driver_info', 'driver_internal_info', 'instance_info']);

/**
 * Checks the first key of a read from the node view (`node://...` fields, `{node[...]}`
 * formatting fields; undefined = the whole node or a wildcard). The view holds no secrets
 * today: refusing them by name keeps it so, should the view ever grow.
 */
export function assertReadableNodeKey(key: string | undefined, where: string): void {
  if (key === undefined) throw new Error(`${where}: must start with the name of a node field`);
  if (SECRET_NODE_FIELDS.has(key)) throw new Error(`${where}: node ${key} may hold credentials and cannot be read by rules`);
}

function isQuoted(text: string): boolean {
  return text.length >= 2 && (text[0] === "'" || text[0] === '"') && text[text.length - 1] === text[0];
}

function parsePath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`cannot parse JSON path "${path}" at position ${i}: ${why}`);
  };
  if (path.startsWith('$')) {
    i = 1;
    if (i < path.length && path[i] !== '.' && path[i] !== '[') fail('expected "." or "[" after "$"');
    if (path[i] === '.') i++;
  }
  if (i >= path.length) fail('empty path');

  let expectName = path[i] !== '[';
  while (i < path.length) {
    if (expectName) {
      const ch = path[i];
      if (ch === '*') {
        segments.push({ kind: 'values' });
        i++;
      } else if (ch === "'" || ch === '"') {
        const end = path.indexOf(ch, i + 1);
        if (end < 0) fail('unterminated quoted key');
        segments.push({ kind: 'key', name: path.slice(i + 1, end) });
        i = end + 1;
      } else if (ch !== undefined && NAME_CHARS.test(ch)) {
        const start = i;
        while (i < path.length && NAME_CHARS.test(path[i]!)) i++;
        segments.push({ kind: 'key', name: path.slice(start, i) });
      } else {
        fail(ch === '.' ? 'descendant ("..") paths are not supported' : `unexpected "${ch}"`);
      }
      expectName = false;
      continue;
    }
    const ch = path[i];
    if (ch === '.') {
      i++;
      if (i >= path.length) fail('path ends with "."');
      expectName = true;
    } else if (ch === '[') {
      const end = path.indexOf(']', i);
      if (end < 0) fail('unterminated "["');
      const inner = path.slice(i + 1, end).trim();
      if (inner === '*') segments.push({ kind: 'each' });
      else if (/^\d+$/.test(inner)) segments.push({ kind: 'index', index: Number(inner) });
      else if (isQuoted(inner)) segments.push({ kind: 'key', name: inner.slice(1, -1) });
      else fail(`unsupported selector "[${inner}]" (use [n], [*] or ['key'])`);
      i = end + 1;
    } else {
      fail(`unexpected "${ch}"`);
    }
  }
  return segments;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** All values the path selects in `root`, in document order (empty when nothing matches). */
export function resolvePath(root: unknown, segments: PathSegment[]): unknown[] {
  let current: unknown[] = [root];
  for (const seg of segments) {
    const next: unknown[] = [];
    for (const value of current) {
      switch (seg.kind) {
        case 'key':
          if (isPlainObject(value) && Object.prototype.hasOwnProperty.call(value, seg.name)) {
            next.push(value[seg.name]);
          }
          break;
        case 'index':
          if (Array.isArray(value) && seg.index < value.length) next.push(value[seg.index]);
          break;
        case 'each':
          // As jsonpath_rw: [*] of a single (non-list) value selects the value itself.
          if (Array.isArray(value)) for (const v of value) next.push(v);
          else if (value !== null && value !== undefined) next.push(value);
          break;
        case 'values':
          if (isPlainObject(value)) for (const v of Object.values(value)) next.push(v);
          break;
      }
    }
    // A key present with value `undefined` cannot come from JSON: treat it as absent.
    current = next.filter((v) => v !== undefined);
  }
  return current;
}

/**
 * The node as rules see it: the node record with the pipeline's pending patch applied
 * (properties/extra keys replaced, traits added/removed, ports merged by address), so
 * values set by earlier hooks and earlier rule actions count.
 */
export function nodeView(ctx: Pick<HookContext, 'node' | 'patch'>): HookNode {
  const { node, patch } = ctx;
  const traits = node.traits.filter((t) => !patch.removeTraits.includes(t));
  for (const t of patch.addTraits) if (!traits.includes(t)) traits.push(t);
  const removed = new Set(patch.removePorts.map((m) => m.toLowerCase()));
  const ports = new Map<string, PortSpec>();
  for (const p of [...node.ports, ...patch.ports]) {
    const mac = p.address.toLowerCase();
    if (!removed.has(mac)) ports.set(mac, { ...ports.get(mac), ...p });
  }
  return {
    uuid: node.uuid,
    name: node.name,
    properties: { ...node.properties, ...patch.properties },
    extra: { ...node.extra, ...patch.extra },
    traits,
    ports: [...ports.values()],
  };
}

/** Values of a condition field (`data://...`, `node://...` or a plain data path) in the context. */
export function fieldValues(field: string | ParsedField, ctx: HookContext): unknown[] {
  const parsed = typeof field === 'string' ? parseField(field) : field;
  const root = parsed.scheme === 'node' ? nodeView(ctx) : ctx.data;
  return resolvePath(root, parsed.segments);
}

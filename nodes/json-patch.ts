import { z } from 'zod';
import { InvalidInputError } from '../common/errors';

// JSON Patch (RFC 6902) with the operations Ironic accepts: add, replace, remove.

export const MAX_POINTER_LENGTH = 1024;
export const MAX_PATCH_OPERATIONS = 100;

// Keys that would reach an object's prototype machinery instead of its own data.
const FORBIDDEN_TOKENS = new Set(['__proto__', 'constructor', 'prototype']);

/** Why `pointer` is not a JSON pointer, or undefined when it is; one pass, so linear in its length (a regex here backtracked exponentially). */
function pointerProblem(pointer: string): string | undefined {
  const usage = 'must be a JSON pointer like /properties/memory_mb';
  if (!pointer.startsWith('/')) return usage;
  for (let i = 0; i < pointer.length; i++) {
    if (pointer[i] === '~' && pointer[i + 1] !== '0' && pointer[i + 1] !== '1') {
      return `${usage}: ~ must be followed by 0 or 1 (~0 stands for ~, ~1 for /)`;
    }
  }
  return undefined;
}

const PointerSchema = z
  .string()
  .max(MAX_POINTER_LENGTH, { error: `must be a JSON pointer of at most ${MAX_POINTER_LENGTH} characters`, abort: true })
  .superRefine((pointer, ctx) => {
    const problem = pointerProblem(pointer);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const JsonPatchOperationSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('add'), path: PointerSchema, value: z.json() }),
  z.strictObject({ op: z.literal('replace'), path: PointerSchema, value: z.json() }),
  z.strictObject({ op: z.literal('remove'), path: PointerSchema }),
]);
export type JsonValue = z.infer<ReturnType<typeof z.json>>;
export type JsonPatchOperation = z.infer<typeof JsonPatchOperationSchema>;

export const JsonPatchSchema = z
  .array(JsonPatchOperationSchema)
  .min(1)
  .max(MAX_PATCH_OPERATIONS, `a patch may have at most ${MAX_PATCH_OPERATIONS} operations`);
export type JsonPatch = z.infer<typeof JsonPatchSchema>;

/** The reference tokens of a JSON pointer, unescaped (~1 is /, ~0 is ~). */
export function pointerTokens(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Record<string, unknown> | unknown[];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (o: Record<string, unknown>, key: string) => Object.prototype.hasOwnProperty.call(o, key);

function arrayIndex(array: unknown[], token: string, allowEnd: boolean): number | undefined {
  if (allowEnd && token === '-') return array.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
  const index = Number(token);
  return index < array.length || (allowEnd && index === array.length) ? index : undefined;
}

function child(container: Container, token: string): unknown {
  if (Array.isArray(container)) {
    const index = arrayIndex(container, token, false);
    return index === undefined ? undefined : container[index];
  }
  return has(container, token) ? container[token] : undefined;
}

function applyOne(doc: Container, operation: JsonPatchOperation): void {
  const tokens = pointerTokens(operation.path);
  const forbidden = tokens.find((token) => FORBIDDEN_TOKENS.has(token));
  if (forbidden !== undefined) throw new Error(`"${forbidden}" is not allowed as a key`);
  const last = tokens.pop()!;
  let parent: unknown = doc;
  tokens.forEach((token, i) => {
    const next = isObject(parent) || Array.isArray(parent) ? child(parent, token) : undefined;
    if (!isObject(next) && !Array.isArray(next)) {
      const at = '/' + tokens.slice(0, i + 1).join('/');
      throw new Error(next === undefined ? `${at} does not exist` : `${at} is not an object or array`);
    }
    parent = next;
  });
  if (Array.isArray(parent)) {
    const index = arrayIndex(parent, last, operation.op === 'add');
    if (index === undefined) throw new Error(`${last} is not an index of the array`);
    if (operation.op === 'add') parent.splice(index, 0, operation.value);
    else if (operation.op === 'replace') parent[index] = operation.value;
    else parent.splice(index, 1);
    return;
  }
  if (!isObject(parent)) throw new Error('the parent is not an object or array');
  if (operation.op !== 'add' && !has(parent, last)) throw new Error('there is nothing to ' + operation.op);
  if (operation.op === 'remove') delete parent[last];
  else parent[last] = operation.value;
}

/** The document with the patch applied (the input is left as is); a 400 names the failing operation and path. */
export function applyJsonPatch<T extends object>(doc: T, patch: JsonPatch): T {
  const out = structuredClone(doc);
  patch.forEach((operation, i) => {
    try {
      applyOne(out as Container, operation);
    } catch (err) {
      throw new InvalidInputError(`patch[${i}] ${operation.op} ${operation.path}: ${(err as Error).message}`);
    }
  });
  return out;
}

/**
 * The field a patch path targets, when the record lets it be written: one of `writable`'s keys.
 * A read-only field's 400 says why (and what to use instead, when `readOnly` says).
 */
export function writableFieldOf<F extends string>(records: string, writable: Record<F, unknown>, readOnly: Record<string, string>): (path: string) => F {
  const own = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);
  return (path) => {
    const field = pointerTokens(path)[0];
    if (own(writable, field)) return field as F;
    if (!own(readOnly, field)) throw new InvalidInputError(`${path}: ${records} have no field "${field}"`);
    throw new InvalidInputError(`${path}: "${field}" is read-only${readOnly[field] ? `; ${readOnly[field]}` : ''}`);
  };
}

/**
 * The patch with each `remove` of a whole field (`fields[i]`, the field op i targets) turned into
 * a `replace` by the field's default; a field without one (undefined: required) cannot be removed.
 */
export function removalsAsDefaults<F extends string>(patch: JsonPatch, fields: F[], defaults: Record<F, JsonValue | undefined>): JsonPatch {
  return patch.map((op, i) => {
    if (op.op !== 'remove' || pointerTokens(op.path).length > 1) return op;
    const removed = defaults[fields[i]];
    if (removed === undefined) throw new InvalidInputError(`${op.path}: "${fields[i]}" is required and cannot be removed`);
    return { op: 'replace' as const, path: op.path, value: removed };
  });
}

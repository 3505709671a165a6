import { deepEqual } from '../../common/deep-equal';
import { memoized } from '../../common/memoize';
import { compileRegex, regexText } from '../../common/regex';
import { networkContains, parseIp, parseNetwork, type IpNetwork } from './cidr';

// Condition operators of introspection rules, one function per op, after
// ironic-inspector's plugins/rules.py. Each takes ONE field value (the rule engine
// handles `multiple` and `invert`) and the condition's parameters, and returns
// whether it holds. A value the op cannot work with throws (the rule then fails
// with an error naming it, as an exception in a plugin does in ironic-inspector).

export interface ConditionParams {
  value?: unknown;
}

export type ConditionCheck = (field: unknown, params: ConditionParams) => boolean;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  return typeof value === 'object' ? 'object' : typeof value;
}

function numericString(value: string): number | undefined {
  const text = value.trim();
  if (text === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * ironic-inspector coerces the field to the type of a numeric `value` (int(field)); we do
 * the same, and also compare numerically when the field is a number and `value` a numeric string.
 */
function coerce(field: unknown, expected: unknown): [unknown, unknown] {
  if (typeof expected === 'number') {
    if (typeof field === 'number') return [field, expected];
    if (typeof field === 'string') {
      const n = numericString(field);
      if (n !== undefined) return [n, expected];
    }
    throw new Error(`cannot compare ${typeName(field)} ${JSON.stringify(field)} with number ${expected}`);
  }
  if (typeof field === 'number' && typeof expected === 'string') {
    const n = numericString(expected);
    if (n !== undefined) return [field, n];
  }
  return [field, expected];
}

function order(field: unknown, params: ConditionParams): number {
  const [a, b] = coerce(field, params.value);
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new Error(`cannot order ${typeName(a)} ${JSON.stringify(a)} against ${typeName(b)} ${JSON.stringify(b)}`);
}

export function eq(field: unknown, params: ConditionParams): boolean {
  const [a, b] = coerce(field, params.value);
  return deepEqual(a, b);
}

export function ne(field: unknown, params: ConditionParams): boolean {
  return !eq(field, params);
}

export function lt(field: unknown, params: ConditionParams): boolean {
  return order(field, params) < 0;
}

export function le(field: unknown, params: ConditionParams): boolean {
  return order(field, params) <= 0;
}

export function gt(field: unknown, params: ConditionParams): boolean {
  return order(field, params) > 0;
}

export function ge(field: unknown, params: ConditionParams): boolean {
  return order(field, params) >= 0;
}

/** Parses a CIDR (`10.0.0.0/8`, `2001:db8::/32`, or a bare address); throws when invalid. */
export const compileNetwork = memoized((text): IpNetwork => {
  const net = parseNetwork(text);
  if (!net) throw new Error(`invalid network "${text}"`);
  return net;
});

/** `in-net`: the field is an IP address inside the CIDR `value`. A null/empty field is not. */
export function inNet(field: unknown, params: ConditionParams): boolean {
  const net = compileNetwork(String(params.value));
  if (field === null || field === undefined || field === '') return false;
  const addr = typeof field === 'string' ? parseIp(field) : null;
  if (!addr) throw new Error(`${JSON.stringify(field)} is not an IP address`);
  return networkContains(net, addr);
}

/** `matches`: the whole text of the field matches the regex `value`. */
export function matches(field: unknown, params: ConditionParams): boolean {
  return compileRegex(String(params.value)).testExact(regexText(field));
}

/** `contains`: the regex `value` matches somewhere in the text of the field. */
export function contains(field: unknown, params: ConditionParams): boolean {
  return compileRegex(String(params.value)).test(regexText(field));
}

/** `is-empty`: the field is null, '', [] or {} (a missing field counts as null). */
export function isEmpty(field: unknown): boolean {
  if (field === null || field === undefined || field === '') return true;
  if (Array.isArray(field)) return field.length === 0;
  if (typeof field === 'object') return Object.keys(field).length === 0;
  return false;
}

export const CONDITION_OPS = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'in-net', 'matches', 'contains', 'is-empty'] as const;
export type ConditionOp = (typeof CONDITION_OPS)[number];

/**
 * The ops. `allowNone`: when the field is not found, the op is checked against null
 * (only is-empty); for the others a missing field makes the condition false.
 */
export const CONDITIONS: Record<ConditionOp, { check: ConditionCheck; allowNone: boolean }> = {
  eq: { check: eq, allowNone: false },
  ne: { check: ne, allowNone: false },
  lt: { check: lt, allowNone: false },
  le: { check: le, allowNone: false },
  gt: { check: gt, allowNone: false },
  ge: { check: ge, allowNone: false },
  'in-net': { check: inNet, allowNone: false },
  matches: { check: matches, allowNone: false },
  contains: { check: contains, allowNone: false },
  'is-empty': { check: (field) => isEmpty(field), allowNone: true },
};

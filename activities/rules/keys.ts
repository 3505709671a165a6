import { FORBIDDEN_KEYS } from '../../common/json-shape';

// Rules name keys in many places (field paths, attribute paths, formatting fields,
// capability names, keys of values). `__proto__`, `constructor` and `prototype` are
// refused everywhere, and reads go through own properties only, so neither a rule nor
// the data it runs on can reach Object.prototype.

/** Throws when `key` is one of the forbidden keys; `where` names what holds it. */
export function assertSafeKey(key: string, where: string): void {
  if (FORBIDDEN_KEYS.has(key)) throw new Error(`${JSON.stringify(key)} is not allowed as a key (${where})`);
}

/** The value under `key` in a list (a decimal index) or an object (own properties only); undefined when absent. */
export function childValue(parent: unknown, key: string): unknown {
  if (Array.isArray(parent)) return /^\d+$/.test(key) ? parent[Number(key)] : undefined;
  if (typeof parent !== 'object' || parent === null) return undefined;
  return Object.prototype.hasOwnProperty.call(parent, key) ? (parent as Record<string, unknown>)[key] : undefined;
}

import { InvalidInputError } from '../common/errors';
import type { JsonObject } from './schema';

/** What a stored secret looks like on output. */
export const SECRET_MASK = '******';

/** driver_info keys that are secrets: write-only, shown as ****** on output. */
export function isSecretKey(key: string): boolean {
  return /password|secret|token|_key$/i.test(key);
}

/** driver_info with every (non-empty) secret replaced by ******, for API answers and logs. */
export function maskDriverInfo(driverInfo: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(driverInfo).map(([k, v]) => [k, isSecretKey(k) && v !== '' ? SECRET_MASK : v]));
}

/** The node (or anything with driver_info) with its secrets masked. */
export function maskSecrets<T extends { driver_info: JsonObject }>(node: T): T {
  return { ...node, driver_info: maskDriverInfo(node.driver_info) };
}

/**
 * A client that read a node writes ****** back where it meant "leave the secret alone":
 * each masked secret in `next` takes the stored value again.
 */
export function keepMaskedSecrets(next: JsonObject, stored: JsonObject): JsonObject {
  const out = { ...next };
  for (const [key, value] of Object.entries(next)) {
    if (!isSecretKey(key) || value !== SECRET_MASK) continue;
    if (!(key in stored)) throw new InvalidInputError(`driver_info.${key}: ${SECRET_MASK} stands for a stored secret, and none is stored`);
    out[key] = stored[key];
  }
  return out;
}

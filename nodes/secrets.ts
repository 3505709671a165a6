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

/** driver_info fields that say where the BMC is: the stored secrets were given for that BMC only. */
const BMC_ADDRESS_FIELDS: readonly string[] = ['ipmi_address', 'ipmi_port', 'redfish_address', 'redfish_system_id'];

export const isBmcAddressField = (key: string) => BMC_ADDRESS_FIELDS.includes(key);

interface Bmc {
  driver: string;
  driver_info: JsonObject;
}

/** What makes a write point the node's credentials at another BMC: "driver" or the address field that changed; undefined when nothing does. */
export function bmcMove(before: Bmc, after: Bmc): string | undefined {
  if (before.driver !== after.driver) return 'driver';
  return BMC_ADDRESS_FIELDS.find((field) => JSON.stringify(before.driver_info[field]) !== JSON.stringify(after.driver_info[field]));
}

export interface SecretWrite {
  /** From bmcMove: the write points the node at another BMC. */
  moved?: string;
  /** driver_info keys the write itself sets. */
  given: ReadonlySet<string>;
}

/**
 * A client that read a node writes ****** back where it meant "leave the secret alone": each
 * masked secret in `next` takes the stored value again. Not when the write points the node at
 * another BMC: whoever may edit a node cannot read its secrets, and must not be able to send
 * them to a BMC of their choosing. There ****** is refused, and every secret the write does not
 * give again is dropped.
 */
export function keepMaskedSecrets(next: JsonObject, stored: JsonObject, write: SecretWrite): JsonObject {
  const out = { ...next };
  for (const [key, value] of Object.entries(next)) {
    if (!isSecretKey(key)) continue;
    if (value === SECRET_MASK) {
      if (write.moved) {
        const why = write.moved === 'driver' ? 'the driver changed' : `the BMC address changed (driver_info.${write.moved})`;
        throw new InvalidInputError(`driver_info.${key}: ${why}, so the password must be given again (${SECRET_MASK} would hand the stored one to the new BMC)`);
      }
      if (!(key in stored)) throw new InvalidInputError(`driver_info.${key}: ${SECRET_MASK} stands for a stored secret, and none is stored`);
      out[key] = stored[key];
    } else if (write.moved && !write.given.has(key)) {
      delete out[key];
    }
  }
  return out;
}

import type { Interface } from '../../common/inventory';
import { isPlainObject } from './helpers';
import type { HookContext } from './types';

/**
 * An interface's raw LLDP TLVs as ironic-inspector picks them: the agent's top-level
 * `lldp_raw[name]` (IPA's `lldp` collector) when not empty, else the older
 * `inventory.interfaces[].lldp`; null when neither is there.
 */
export function interfaceTlvs(ctx: HookContext, iface: Interface): unknown[] | null {
  const raw = ctx.data.lldp_raw;
  const fromRaw = isPlainObject(raw) && Object.hasOwn(raw, iface.name) ? raw[iface.name] : undefined;
  if (Array.isArray(fromRaw) && fromRaw.length > 0) return fromRaw;
  return Array.isArray(iface.lldp) ? iface.lldp : null;
}

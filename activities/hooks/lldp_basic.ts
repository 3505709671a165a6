import { interfaceTlvs, parseLldpTlvs } from '../../common/lldp-tlv';
import { allInterfaces, inventoryInterfaces, requireInventory } from './helpers';
import type { ProcessingHook } from './types';

/**
 * Decodes each interface's raw LLDP TLVs (lldp_raw first, then inventory lldp) into
 * data.all_interfaces[name].lldp_processed. Needs validate_interfaces' all_interfaces
 * (built in beforeProcessing); interfaces it dropped (no valid MAC) are skipped.
 */
export const lldpBasicHook: ProcessingHook = {
  name: 'lldp_basic',
  beforeUpdate(ctx) {
    const all = allInterfaces(ctx);
    for (const iface of inventoryInterfaces(requireInventory(ctx))) {
      if (!iface || !Object.hasOwn(all, iface.name)) continue;
      const tlvs = interfaceTlvs(ctx.data, iface);
      if (!tlvs) continue;
      const processed = parseLldpTlvs(tlvs);
      if (Object.keys(processed).length > 0) all[iface.name].lldp_processed = processed;
    }
  },
};

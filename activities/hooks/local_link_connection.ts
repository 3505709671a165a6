import { LLDP_TLV, MAX_TLVS, decodeChassisId, decodePortId, decodeString, interfaceTlvs, tlvBytes } from '../../common/lldp-tlv';
import { allInterfaces, inventoryInterfaces, requireInventory } from './helpers';
import { existingPort, portToUpdate } from './ports';
import type { ProcessingHook } from './types';

/**
 * switch_id from a chassis ID of the MAC subtype only (ironic's rule), port_id from a port
 * ID of any subtype, switch_info from the system name; the first valid TLV of each wins.
 */
function fromTlvs(tlvs: unknown[]): Record<string, string> {
  const llc: Record<string, string> = {};
  for (const tlv of tlvs) {
    const parsed = tlvBytes(tlv);
    if (!parsed) continue;
    if (parsed.type === LLDP_TLV.CHASSIS_ID && !llc.switch_id) {
      const id = decodeChassisId(parsed.data);
      if (id?.kind === 'mac') llc.switch_id = id.value;
    } else if (parsed.type === LLDP_TLV.PORT_ID && !llc.port_id) {
      const id = decodePortId(parsed.data);
      if (id) llc.port_id = id.value;
    } else if (parsed.type === LLDP_TLV.SYSTEM_NAME && !llc.switch_info) {
      const name = decodeString(parsed.data);
      if (name) llc.switch_info = name;
    }
  }
  return llc;
}

/**
 * Sets local_link_connection {switch_id, port_id, switch_info} on the port of each
 * interface that has LLDP data (lldp_raw first, then inventory lldp): the port in
 * patch.ports, else the node's existing port (an update entry is added for it, unless
 * it is being removed). Existing local_link_connection keys not re-discovered are kept.
 */
export const localLinkConnectionHook: ProcessingHook = {
  name: 'local_link_connection',
  beforeUpdate(ctx) {
    const all = allInterfaces(ctx);
    for (const iface of inventoryInterfaces(requireInventory(ctx))) {
      if (!iface || !Object.hasOwn(all, iface.name)) continue;
      const tlvs = interfaceTlvs(ctx.data, iface);
      if (!tlvs) continue;
      const llc = fromTlvs(tlvs.slice(0, MAX_TLVS));
      if (Object.keys(llc).length === 0) continue;
      const mac = all[iface.name].mac;
      const port = portToUpdate(ctx, mac);
      if (!port) continue;
      port.local_link_connection = { ...existingPort(ctx, mac)?.local_link_connection, ...port.local_link_connection, ...llc };
    }
  },
};

import { allInterfaces, inventoryInterfaces, requireInventory } from './helpers';
import { LLDP_TLV, decodeChassisId, decodePortId, decodeString, hexToBytes } from './lldp';
import { normalizeMac } from '../../common/mac';
import type { PortSpec, ProcessingHook } from './types';

/** From lldp_basic's output, when present. switch_id must be a MAC (ironic's rule). */
function fromProcessed(processed: Record<string, unknown> | undefined): Record<string, string> {
  const llc: Record<string, string> = {};
  if (!processed) return llc;
  const switchId = normalizeMac(processed.switch_chassis_id);
  if (switchId) llc.switch_id = switchId;
  if (typeof processed.switch_port_id === 'string' && processed.switch_port_id) llc.port_id = processed.switch_port_id;
  if (typeof processed.switch_system_name === 'string' && processed.switch_system_name) {
    llc.switch_info = processed.switch_system_name;
  }
  return llc;
}

/** From the raw TLVs: chassis ID only with the MAC subtype, port ID of any subtype. */
function fromRaw(tlvs: unknown): Record<string, string> {
  const llc: Record<string, string> = {};
  if (!Array.isArray(tlvs)) return llc;
  for (const tlv of tlvs) {
    if (!Array.isArray(tlv) || tlv.length !== 2) continue;
    const data = hexToBytes(tlv[1]);
    if (!data) continue;
    if (tlv[0] === LLDP_TLV.CHASSIS_ID && !llc.switch_id) {
      const id = decodeChassisId(data);
      if (id?.kind === 'mac') llc.switch_id = id.value;
    } else if (tlv[0] === LLDP_TLV.PORT_ID && !llc.port_id) {
      const id = decodePortId(data);
      if (id) llc.port_id = id.value;
    } else if (tlv[0] === LLDP_TLV.SYSTEM_NAME && !llc.switch_info) {
      const name = decodeString(data);
      if (name) llc.switch_info = name;
    }
  }
  return llc;
}

/**
 * Sets local_link_connection {switch_id, port_id, switch_info} on the port of each
 * interface that has LLDP data: the port in patch.ports, else the node's existing
 * port (an update entry is added for it, unless it is being removed). Uses
 * lldp_basic's lldp_processed when available, the raw TLVs otherwise. Existing
 * local_link_connection keys not re-discovered are kept.
 */
export const localLinkConnectionHook: ProcessingHook = {
  name: 'local_link_connection',
  beforeUpdate(ctx) {
    const all = allInterfaces(ctx);
    for (const iface of inventoryInterfaces(requireInventory(ctx))) {
      const processed = iface ? all[iface.name] : undefined;
      if (!processed || !iface.lldp) continue;
      const mac = processed.mac;

      const existing = ctx.node.ports.find((p) => normalizeMac(p.address) === mac);
      let port: PortSpec | undefined = ctx.patch.ports.find((p) => p.address === mac);
      if (!port && (!existing || ctx.patch.removePorts.includes(existing.address))) continue;

      let llc = fromProcessed(processed.lldp_processed);
      if (!llc.switch_id && !llc.port_id) llc = fromRaw(iface.lldp);
      if (Object.keys(llc).length === 0) continue;

      if (!port) {
        port = { address: mac, pxe_enabled: existing!.pxe_enabled };
        ctx.patch.ports.push(port);
      }
      port.local_link_connection = { ...existing?.local_link_connection, ...port.local_link_connection, ...llc };
    }
  },
};

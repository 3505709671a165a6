import type { Interface } from '../../common/inventory';
import { networkContains, parseIp, parseNetwork } from '../rules/cidr';
import { allInterfaces, inventoryInterfaces, requireInventory } from './helpers';
import { currentPhysnet, portToUpdate } from './ports';
import type { ProcessingConfig, ProcessingHook } from './types';

/** The physical network of the first config entry whose CIDR holds one of the interface's IPs (IPv4 first). */
function physnetOf(iface: Interface, map: ProcessingConfig['physnetCidrMap']): string | null {
  const ips = [iface.ipv4_address, iface.ipv6_address].flatMap((text) => (text ? [parseIp(text)] : [])).filter((ip) => ip !== null);
  for (const ip of ips) {
    const entry = map.find(({ cidr }) => {
      const network = parseNetwork(cidr);
      return network !== null && networkContains(network, ip);
    });
    if (entry) return entry.physnet;
  }
  return null;
}

/**
 * ironic-inspector's physnet_cidr_map: sets physical_network on the port of each
 * interface validate_interfaces kept (data.all_interfaces) from config.physnetCidrMap,
 * for ports the pipeline creates and ports the node has (not those it removes).
 * A port already on that network is left alone.
 */
export const physnetCidrMapHook: ProcessingHook = {
  name: 'physnet_cidr_map',
  beforeUpdate(ctx) {
    const map = ctx.config.physnetCidrMap;
    if (map.length === 0) return;
    const all = allInterfaces(ctx);
    for (const iface of inventoryInterfaces(requireInventory(ctx))) {
      const mac = iface && Object.prototype.hasOwnProperty.call(all, iface.name) ? all[iface.name].mac : null;
      if (!mac) continue;
      const physnet = physnetOf(iface, map);
      if (!physnet) continue;
      const planned = ctx.patch.ports.some((p) => p.address === mac);
      if (!planned && currentPhysnet(ctx, mac) === physnet) continue;
      const port = portToUpdate(ctx, mac);
      if (port) port.physical_network = physnet;
    }
  },
};

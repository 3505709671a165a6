import type { Inventory } from '../../common/inventory';
import { allInterfaces, inventoryInterfaces, requireInventory, type ProcessedInterfaces } from './helpers';
import { bootMac, normalizeMac } from '../../common/mac';
import { HookError, type HookContext, type PortSpec, type ProcessingHook } from './types';

function isLoopback(name: string, ip: string | null): boolean {
  if (name === 'lo') return true;
  if (!ip) return false;
  return /^127\./.test(ip) || ip === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(ip);
}

function ipOrNull(value: unknown): string | null {
  return typeof value === 'string' && value.trim() ? value.trim() : null;
}

/**
 * The MAC the node PXE-booted from: data.boot_interface (a MAC, pxelinux
 * `01-aa-bb-...` form, or an interface name), else inventory.boot.pxe_interface,
 * else the interface the agent flagged pxe_enabled. Null when unknown.
 */
export function getPxeMac(data: HookContext['data'], inventory: Inventory): string | null {
  const interfaces = inventoryInterfaces(inventory);
  const fromValue = (value: unknown): string | null => {
    if (typeof value !== 'string' || !value.trim()) return null;
    const v = value.trim();
    const mac = bootMac(v);
    if (mac) return mac;
    const byName = interfaces.find((i) => i.name === v);
    return byName ? normalizeMac(byName.mac_address) : null;
  };
  return (
    fromValue(data.boot_interface) ??
    fromValue(inventory.boot?.pxe_interface) ??
    normalizeMac(interfaces.find((i) => i.pxe_enabled === true)?.mac_address)
  );
}

function ipmiAddress(value: unknown, unset: string): string | null {
  return typeof value === 'string' && value && value !== unset ? value : null;
}

/**
 * ironic-inspector's validate_interfaces.
 * beforeProcessing: data.all_interfaces (every interface with a valid MAC, MACs
 * normalized), data.interfaces (those eligible per config.addPorts; `pxe` with no
 * known PXE MAC and `disabled` fall back to interfaces with an IP, as
 * ironic-inspector), data.macs.
 * beforeUpdate: patch.ports for data.interfaces (for `disabled`, only updates of
 * ports the node already has), patch.removePorts per config.keepPorts.
 */
export const validateInterfacesHook: ProcessingHook = {
  name: 'validate_interfaces',

  beforeProcessing(ctx) {
    const { addPorts, keepPorts } = ctx.config;
    if (addPorts === 'disabled' && keepPorts === 'added') {
      throw new HookError('Configuration error: addPorts is disabled and keepPorts is added; set keepPorts to all');
    }
    const inventory = requireInventory(ctx);

    ctx.data.ipmi_address = ipmiAddress(inventory.bmc_address ?? ctx.data.ipmi_address, '0.0.0.0');
    ctx.data.ipmi_v6address = ipmiAddress(inventory.bmc_v6address ?? ctx.data.ipmi_v6address, '::/0');

    const pxeMac = getPxeMac(ctx.data, inventory);
    const all: ProcessedInterfaces = {};
    for (const iface of inventoryInterfaces(inventory)) {
      if (!iface || !iface.name) continue;
      const mac = normalizeMac(iface.mac_address);
      if (!mac) continue; // no link information or an invalid MAC
      // IPv6 may carry a zone (fe80::1%eth0).
      const ip = ipOrNull(iface.ipv4_address) ?? ipOrNull(iface.ipv6_address)?.split('%')[0] ?? null;
      all[iface.name] = { ip, mac, client_id: iface.client_id ?? null, pxe: mac === pxeMac };
    }
    if (Object.keys(all).length === 0) {
      throw new HookError('No interfaces with a valid MAC address supplied by the ramdisk');
    }

    const interfaces: ProcessedInterfaces = {};
    for (const [name, iface] of Object.entries(all)) {
      if (isLoopback(name, iface.ip)) continue;
      if (addPorts === 'pxe' && pxeMac) {
        if (!iface.pxe) continue;
      } else if (addPorts !== 'all' && !iface.ip) {
        continue;
      }
      interfaces[name] = iface;
    }
    if (Object.keys(interfaces).length === 0) {
      throw new HookError(`No suitable interfaces found (add_ports=${addPorts}) in ${JSON.stringify(all)}`);
    }

    ctx.data.all_interfaces = all;
    ctx.data.interfaces = interfaces;
    ctx.data.macs = Object.values(interfaces).map((i) => i.mac);
  },

  beforeUpdate(ctx) {
    const { addPorts, keepPorts } = ctx.config;
    const interfaces = (ctx.data.interfaces ?? {}) as ProcessedInterfaces;
    const existing = new Map<string, PortSpec>();
    for (const port of ctx.node.ports) {
      const mac = normalizeMac(port.address);
      if (mac) existing.set(mac, port);
    }

    for (const iface of Object.values(interfaces)) {
      if (addPorts === 'disabled' && !existing.has(iface.mac)) continue;
      if (ctx.patch.ports.some((p) => p.address === iface.mac)) continue;
      ctx.patch.ports.push({ address: iface.mac, pxe_enabled: iface.pxe });
    }

    let expected: Set<string> | null = null;
    if (keepPorts === 'present') expected = new Set(Object.values(allInterfaces(ctx)).map((i) => i.mac));
    else if (keepPorts === 'added') expected = new Set((ctx.data.macs as string[] | undefined) ?? []);
    if (!expected) return;
    for (const port of ctx.node.ports) {
      const mac = normalizeMac(port.address) ?? port.address;
      // Removed by the address as the node stores it.
      if (!expected.has(mac) && !ctx.patch.removePorts.includes(port.address)) ctx.patch.removePorts.push(port.address);
    }
  },
};

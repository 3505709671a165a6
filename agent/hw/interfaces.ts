// Network interfaces from /sys/class/net, in IPA's NetworkInterface shape.
//
// IPA lists interfaces that have a `device` link (physical NICs) plus VLANs
// named like eth0.100. A node of the simulated rack only has a veth, which has
// no `device` link, so we also keep links stacked on another one (veth,
// macvlan, ipvlan, vlan). Loopback, non-Ethernet links and purely virtual
// devices (bridge, bond, tun/tap, ifb, dummy) are skipped.

import path from 'node:path';
import type { Interface } from '../../common/inventory';
import type { CollectorContext } from '../context';
import { exists, listDir, readInt, readLink, readText, realPath, under } from '../sys';

const ARPHRD_ETHER = 1;
const ARPHRD_INFINIBAND = 32;
const ARPHRD_LOOPBACK = 772;

export function isVlanName(name: string): boolean {
  const dot = name.indexOf('.');
  return dot > 0 && /^\d+$/.test(name.slice(dot + 1));
}

function validMac(mac: string | null): mac is string {
  if (!mac) return false;
  const hex = mac.replace(/:/g, '');
  return /^[0-9a-f]+$/.test(hex) && !/^0+$/.test(hex) && !/^f+$/.test(hex);
}

async function devtype(dir: string): Promise<string | null> {
  const uevent = await readText(under(dir, 'uevent'));
  const match = uevent?.match(/^DEVTYPE=(.*)$/m);
  return match ? match[1].trim() : null;
}

/** Link kinds (rtnetlink IFLA_INFO_KIND) whose lower device is another link. */
const STACKED_KINDS = new Set(['veth', 'macvlan', 'macvtap', 'ipvlan', 'ipvtap', 'vlan']);

/**
 * Each link's kind (`veth`, `bridge`, ...) as the kernel reports it through
 * `ip -details -json link show`; empty when iproute2 is missing (busybox's `ip`
 * has no -json) or fails. Links without a kind (physical NICs) are absent.
 */
export async function linkKinds(ctx: CollectorContext): Promise<Map<string, string>> {
  const kinds = new Map<string, string>();
  const ip = await ctx.which('ip');
  if (!ip) return kinds;
  const result = await ctx.exec(ip, ['-details', '-json', 'link', 'show'], { timeoutMs: 5000 });
  if (result.code !== 0) return kinds;
  let links: unknown;
  try {
    links = JSON.parse(result.stdout);
  } catch {
    return kinds;
  }
  if (!Array.isArray(links)) return kinds;
  for (const link of links as { ifname?: unknown; linkinfo?: { info_kind?: unknown } }[]) {
    const kind = link?.linkinfo?.info_kind;
    if (typeof link?.ifname === 'string' && typeof kind === 'string') kinds.set(link.ifname, kind);
  }
  return kinds;
}

/**
 * Decide whether /sys/class/net/<name> is a NIC worth reporting. `kind` is the
 * link's kind when known (see linkKinds). Without it, a link whose iflink differs
 * from its ifindex is taken as stacked; that guess misses a veth whose peer, in
 * another namespace, has the same index (both ends are often 2 in fresh namespaces).
 */
export async function isReportable(dir: string, name: string, kind?: string): Promise<boolean> {
  if (name === 'lo') return false;
  const type = await readInt(under(dir, 'type'));
  if (type === ARPHRD_LOOPBACK) return false;
  if (type !== null && type !== ARPHRD_ETHER && type !== ARPHRD_INFINIBAND) return false;
  const mac = (await readText(under(dir, 'address')))?.toLowerCase() ?? null;
  if (!validMac(mac)) return false;
  if (await exists(under(dir, 'device'))) return true;
  if (isVlanName(name)) return true;
  // Software-only devices: no lower link of their own.
  for (const marker of ['bridge', 'bonding', 'tun_flags']) {
    if (await exists(under(dir, marker))) return false;
  }
  if (kind !== undefined) return STACKED_KINDS.has(kind);
  const devType = await devtype(dir);
  if (devType && ['bridge', 'bond', 'wireguard', 'vxlan', 'geneve'].includes(devType)) return false;
  const ifindex = await readInt(under(dir, 'ifindex'));
  const iflink = await readInt(under(dir, 'iflink'));
  return ifindex !== null && iflink !== null && ifindex !== iflink;
}

function pickAddresses(infos: { address: string; family: string | number; internal: boolean }[] | undefined) {
  let ipv4: string | null = null;
  let ipv6Global: string | null = null;
  let ipv6Link: string | null = null;
  for (const info of infos ?? []) {
    const family = info.family === 4 || info.family === 'IPv4' ? 4 : 6;
    if (family === 4) {
      ipv4 ??= info.address;
    } else {
      const address = info.address.split('%')[0];
      if (/^fe[89ab][0-9a-f]:/i.test(address)) ipv6Link ??= address;
      else ipv6Global ??= address;
    }
  }
  return { ipv4, ipv6: ipv6Global ?? ipv6Link };
}

async function carrier(dir: string): Promise<boolean | null> {
  const value = await readText(under(dir, 'carrier'));
  if (value === '1') return true;
  if (value === '0') return false;
  // Reading carrier fails with EINVAL while the link is administratively down.
  const operstate = await readText(under(dir, 'operstate'));
  return operstate === 'down' ? false : null;
}

async function biosdevname(ctx: CollectorContext, name: string, physical: boolean): Promise<string | null> {
  if (!physical || isVlanName(name)) return null;
  const tool = await ctx.which('biosdevname');
  if (!tool) return null;
  const result = await ctx.exec(tool, ['-i', name], { timeoutMs: 5000 });
  // biosdevname exits 4 inside a virtual machine.
  if (result.code !== 0) return null;
  return result.stdout.trim() || null;
}

const PCI_ADDRESS = /^[0-9a-f]{4,}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;

/**
 * The PCI function behind a NIC: its `device` link, or that device's parent for
 * NICs on a bus of their own below the PCI function (virtio_net's virtioN). IPA
 * sends the link's name whatever it is (`virtio0`); we send null for a non-PCI NIC.
 */
async function pciAddress(dir: string): Promise<string | null> {
  const device = await realPath(under(dir, 'device'));
  if (!device) return null;
  for (const candidate of [path.basename(device), path.basename(path.dirname(device))]) {
    if (PCI_ADDRESS.test(candidate)) return candidate;
  }
  return null;
}

async function driverName(dir: string): Promise<string | null> {
  const link = await readLink(under(dir, 'device', 'driver'));
  return link ? path.basename(link) : null;
}

const MELLANOX_VENDOR = '0x15b3';
/** An IPoIB hardware address: 4 bytes of flags and QPN, the 8-byte GID prefix, the 8-byte port GUID. */
const INFINIBAND_ADDRESS_LENGTH = 59;
/** RFC 4390 client identifier: type 0xff, IAID, DUID-LL prefix with Mellanox's OUI, then the GUID (IPA's prefix). */
const INFINIBAND_CLIENT_ID_PREFIX = 'ff:00:00:00:00:00:02:00:00:02:c9:00:';

/**
 * IPA's Mellanox hardware manager: for a Mellanox InfiniBand port, the MAC is the
 * port GUID without its middle two bytes and the DHCP client id embeds the GUID.
 */
export function infinibandIdentity(address: string, vendor: string | null): { mac: string; clientId: string } | null {
  if (address.length !== INFINIBAND_ADDRESS_LENGTH || vendor !== MELLANOX_VENDOR) return null;
  const guid = address.slice(36);
  return { mac: guid.slice(0, 9) + guid.slice(15), clientId: INFINIBAND_CLIENT_ID_PREFIX + guid };
}

export async function listInterfaces(ctx: CollectorContext): Promise<Interface[]> {
  const base = under(ctx.root, 'sys/class/net');
  const names = await listDir(base);
  const addresses = ctx.netAddresses();
  const kinds = await linkKinds(ctx);
  const result: Interface[] = [];
  for (const name of names) {
    const dir = under(base, name);
    if (!(await isReportable(dir, name, kinds.get(name)))) continue;
    const address = (await readText(under(dir, 'address')))!.toLowerCase();
    const physical = await exists(under(dir, 'device'));
    const vendor = physical ? await readText(under(dir, 'device/vendor')) : null;
    const infiniband = infinibandIdentity(address, vendor);
    const mac = infiniband?.mac ?? address;
    const { ipv4, ipv6 } = pickAddresses(addresses[name]);
    const speed = await readInt(under(dir, 'speed'));
    result.push({
      name,
      mac_address: mac,
      ipv4_address: ipv4,
      ipv6_address: ipv6,
      has_carrier: await carrier(dir),
      lldp: null,
      vendor,
      product: physical ? await readText(under(dir, 'device/device')) : null,
      client_id: infiniband?.clientId ?? null,
      biosdevname: await biosdevname(ctx, name, physical),
      speed_mbps: speed !== null && speed > 0 ? speed : null,
      pxe_enabled: ctx.bootif ? ctx.bootif === mac : null,
      pci_address: physical ? await pciAddress(dir) : null,
      driver: physical ? await driverName(dir) : null,
    });
  }
  return result;
}

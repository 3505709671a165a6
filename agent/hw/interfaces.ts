// Network interfaces from /sys/class/net, in IPA's NetworkInterface shape.
//
// IPA lists interfaces that have a `device` link (physical NICs) plus VLANs
// named like eth0.100. A node of the simulated rack only has a veth, which has
// no `device` link, so we also keep links whose lower device lives elsewhere
// (iflink != ifindex: veth, macvlan, ipvlan). Loopback, non-Ethernet links and
// purely virtual devices (bridge, bond, tun/tap, ifb, dummy) are skipped.

import type { Interface } from '../../common/inventory';
import type { CollectorContext } from '../context';
import { exists, listDir, readInt, readText, under } from '../sys';

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

/** Decide whether /sys/class/net/<name> is a NIC worth reporting. */
export async function isReportable(dir: string, name: string): Promise<boolean> {
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
  const kind = await devtype(dir);
  if (kind && ['bridge', 'bond', 'wireguard', 'vxlan', 'geneve'].includes(kind)) return false;
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

export async function listInterfaces(ctx: CollectorContext): Promise<Interface[]> {
  const base = under(ctx.root, 'sys/class/net');
  const names = await listDir(base);
  const addresses = ctx.netAddresses();
  const result: Interface[] = [];
  for (const name of names) {
    const dir = under(base, name);
    if (!(await isReportable(dir, name))) continue;
    const mac = (await readText(under(dir, 'address')))!.toLowerCase();
    const physical = await exists(under(dir, 'device'));
    const { ipv4, ipv6 } = pickAddresses(addresses[name]);
    const speed = await readInt(under(dir, 'speed'));
    result.push({
      name,
      mac_address: mac,
      ipv4_address: ipv4,
      ipv6_address: ipv6,
      has_carrier: await carrier(dir),
      lldp: null,
      vendor: physical ? await readText(under(dir, 'device/vendor')) : null,
      product: physical ? await readText(under(dir, 'device/device')) : null,
      client_id: null,
      biosdevname: await biosdevname(ctx, name, physical),
      speed_mbps: speed !== null && speed > 0 ? speed : null,
      pxe_enabled: ctx.bootif ? ctx.bootif === mac : null,
    });
  }
  return result;
}

import { isIPv4, isIPv6 } from 'node:net';

// A small IPv4/IPv6 CIDR check (what ironic-inspector does with netaddr for `in-net`).

export interface IpAddress {
  version: 4 | 6;
  value: bigint;
}

export interface IpNetwork {
  version: 4 | 6;
  base: bigint; // host bits cleared
  prefix: number;
}

function ipv4ToBigInt(text: string): bigint {
  return text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

/** Parses an IPv4 or IPv6 address (an IPv6 zone id `%eth0` is ignored); null when invalid. */
export function parseIp(text: string): IpAddress | null {
  const addr = text.trim();
  if (isIPv4(addr)) return { version: 4, value: ipv4ToBigInt(addr) };
  const bare = addr.split('%', 1)[0]!;
  if (!isIPv6(bare)) return null;
  let groups = bare;
  // Embedded IPv4 tail, e.g. ::ffff:10.0.0.1 → two hextets.
  const lastColon = groups.lastIndexOf(':');
  const tail = groups.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = ipv4ToBigInt(tail);
    groups = `${groups.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, rest] = groups.split('::') as [string, string | undefined];
  const headParts = head ? head.split(':') : [];
  const restParts = rest === undefined ? [] : rest ? rest.split(':') : [];
  const fill = rest === undefined ? 0 : 8 - headParts.length - restParts.length;
  const parts = [...headParts, ...Array<string>(fill).fill('0'), ...restParts];
  if (parts.length !== 8) return null;
  return { version: 6, value: parts.reduce((acc, p) => (acc << 16n) | BigInt(parseInt(p, 16)), 0n) };
}

/** Parses `addr/prefix` (or a bare address, as a single-host network); null when invalid. */
export function parseNetwork(text: string): IpNetwork | null {
  const [addrText, prefixText, extra] = text.trim().split('/');
  if (extra !== undefined || addrText === undefined) return null;
  const addr = parseIp(addrText);
  if (!addr) return null;
  const bits = addr.version === 4 ? 32 : 128;
  let prefix = bits;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText)) return null;
    prefix = Number(prefixText);
    if (prefix > bits) return null;
  }
  const hostBits = BigInt(bits - prefix);
  return { version: addr.version, base: (addr.value >> hostBits) << hostBits, prefix };
}

export function networkContains(network: IpNetwork, addr: IpAddress): boolean {
  if (network.version !== addr.version) return false;
  const hostBits = BigInt((network.version === 4 ? 32 : 128) - network.prefix);
  return (addr.value >> hostBits) << hostBits === network.base;
}

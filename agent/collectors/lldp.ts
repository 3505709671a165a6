// `lldp`: top-level `lldp_raw` = {interface name: [[type, hex value], ...]}, as
// IPA's `lldp` collector sends it (raw TLV bodies, hex encoded; [] for an
// interface no LLDP frame reached). Sources, in order:
// - lldpd (`lldpctl -f json`) when it runs: it has listened since boot, so it
//   answers at once. It prints no raw TLVs (lldpd 1.0.16, Debian 12), so its
//   decoded neighbour data is turned back into TLVs: 1 chassis id, 2 port id,
//   4 port description, 5 system name, 6 system description, 127 IEEE 802.1
//   port VLAN id / VLAN name.
// - otherwise the first frame each interface receives (tcpdump, as IPA's raw
//   socket), waiting at most ipa-lldp-timeout seconds (IPA's default 30).
// Without either tool there is no `lldp_raw`.

import net from 'node:net';
import type { Inventory } from '../../common/inventory';
import type { LldpTlv } from '../../common/lldp-tlv';
import type { CollectorContext } from '../context';
import { captureLldp } from '../hw/lldp-capture';
import type { Collector } from './types';


// lldpd's names for the ID subtypes (IEEE 802.1AB tables 8-2 and 8-3).
const CHASSIS_SUBTYPES: Record<string, number> = { chassis: 1, ifalias: 2, port: 3, mac: 4, ip: 5, ifname: 6, local: 7 };
const PORT_SUBTYPES: Record<string, number> = { ifalias: 1, port: 2, mac: 3, ip: 4, ifname: 5, circuit: 6, local: 7 };

const hex = (bytes: Buffer | number[]) => Buffer.from(bytes).toString('hex');
const utf8 = (text: string) => Buffer.from(text, 'utf8');

function macBytes(value: string): Buffer | null {
  const clean = value.replace(/[:-]/g, '');
  return /^[0-9a-fA-F]{12}$/.test(clean) ? Buffer.from(clean, 'hex') : null;
}

function ipBytes(value: string): Buffer | null {
  if (net.isIPv4(value)) return Buffer.from([1, ...value.split('.').map(Number)]);
  if (net.isIPv6(value)) {
    const [head, tail = ''] = value.split('::');
    const left = head ? head.split(':') : [];
    const right = tail ? tail.split(':') : [];
    const groups = value.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
    const bytes = [2];
    for (const group of groups) {
      const n = Number.parseInt(group, 16);
      bytes.push(n >> 8, n & 0xff);
    }
    return Buffer.from(bytes);
  }
  return null;
}

function idTlv(type: 1 | 2, id: unknown): LldpTlv | null {
  if (!id || typeof id !== 'object') return null;
  const { type: kind, value } = id as { type?: string; value?: string };
  if (typeof value !== 'string' || !value) return null;
  const subtypes = type === 1 ? CHASSIS_SUBTYPES : PORT_SUBTYPES;
  const subtype = subtypes[kind ?? ''] ?? 7; // unknown kinds: locally assigned
  let body: Buffer | null = null;
  if (kind === 'mac') body = macBytes(value);
  else if (kind === 'ip') body = ipBytes(value);
  body ??= utf8(value);
  return [type, hex(Buffer.concat([Buffer.from([subtype]), body]))];
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return value || null;
  if (value && typeof value === 'object' && typeof (value as { value?: unknown }).value === 'string') {
    return (value as { value: string }).value || null;
  }
  return null;
}

function asList<T>(value: T | T[] | undefined | null): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function vlanTlvs(vlans: unknown): LldpTlv[] {
  const tlvs: LldpTlv[] = [];
  for (const vlan of asList(vlans as Record<string, unknown> | Record<string, unknown>[])) {
    if (!vlan || typeof vlan !== 'object') continue;
    const id = Number((vlan as Record<string, unknown>)['vlan-id']);
    if (!Number.isInteger(id) || id < 1 || id > 4094) continue;
    const idBytes = [id >> 8, id & 0xff];
    if ((vlan as Record<string, unknown>).pvid === true) tlvs.push([127, hex([0x00, 0x80, 0xc2, 0x01, ...idBytes])]);
    const name = text((vlan as Record<string, unknown>).value);
    if (name) {
      const nameBytes = utf8(name).subarray(0, 32);
      tlvs.push([127, hex([0x00, 0x80, 0xc2, 0x03, ...idBytes, nameBytes.length, ...nameBytes])]);
    }
  }
  return tlvs;
}

/** One neighbour's decoded lldpctl data back to TLVs. */
export function neighbourToTlvs(entry: Record<string, unknown>): LldpTlv[] {
  const tlvs: LldpTlv[] = [];
  let chassis = (entry.chassis ?? {}) as Record<string, unknown>;
  let systemName: string | null = null;
  // lldpctl keys the chassis object by system name when the neighbour sent one.
  if (!('id' in chassis)) {
    const names = Object.keys(chassis);
    if (names.length === 1 && chassis[names[0]] && typeof chassis[names[0]] === 'object') {
      systemName = names[0];
      chassis = chassis[names[0]] as Record<string, unknown>;
    }
  }
  systemName ??= text(chassis.name);
  const port = (entry.port ?? {}) as Record<string, unknown>;

  const chassisId = idTlv(1, chassis.id);
  if (chassisId) tlvs.push(chassisId);
  const portId = idTlv(2, port.id);
  if (portId) tlvs.push(portId);
  const portDescr = text(port.descr);
  if (portDescr) tlvs.push([4, hex(utf8(portDescr))]);
  if (systemName) tlvs.push([5, hex(utf8(systemName))]);
  const systemDescr = text(chassis.descr);
  if (systemDescr) tlvs.push([6, hex(utf8(systemDescr))]);
  tlvs.push(...vlanTlvs(entry.vlan));
  return tlvs;
}

/** `lldpctl -f json` output -> TLVs per local interface name. */
export function lldpctlToTlvs(doc: unknown): Map<string, LldpTlv[]> {
  const result = new Map<string, LldpTlv[]>();
  const lldp = (doc as { lldp?: { interface?: unknown } } | null)?.lldp;
  // A single interface comes as an object keyed by name, several as a list of such objects.
  for (const item of asList(lldp?.interface as Record<string, unknown> | Record<string, unknown>[])) {
    if (!item || typeof item !== 'object') continue;
    for (const [ifname, entry] of Object.entries(item)) {
      if (!entry || typeof entry !== 'object') continue;
      const list = result.get(ifname) ?? [];
      list.push(...neighbourToTlvs(entry as Record<string, unknown>));
      result.set(ifname, list);
    }
  }
  return result;
}

const DEFAULT_TIMEOUT_S = 30;
const MAX_TIMEOUT_S = 300;

/** IPA's lldp_timeout, from ipa-lldp-timeout= (seconds, 1..300). */
export function lldpTimeoutMs(kernelParams: Record<string, string>): number {
  const value = Number(kernelParams['ipa-lldp-timeout']);
  const seconds = Number.isFinite(value) && value >= 1 ? Math.min(value, MAX_TIMEOUT_S) : DEFAULT_TIMEOUT_S;
  return seconds * 1000;
}

/** lldpd's neighbours as TLVs per interface; null when lldpctl is missing or lldpd does not answer. */
async function fromLldpd(ctx: CollectorContext): Promise<Map<string, LldpTlv[]> | null> {
  const lldpctl = await ctx.which('lldpctl');
  if (!lldpctl) return null;
  const out = await ctx.exec(lldpctl, ['-f', 'json'], { timeoutMs: 15000 });
  if (out.code !== 0) {
    const why = (out.error ?? out.stderr).trim().split('\n')[0] || `exit ${out.code}`;
    ctx.log.warn('lldpctl failed; capturing LLDP frames instead', { error: why });
    return null;
  }
  try {
    return lldpctlToTlvs(JSON.parse(out.stdout || '{}'));
  } catch (error) {
    ctx.log.warn('lldpctl printed invalid JSON; capturing LLDP frames instead', { error: (error as Error).message });
    return null;
  }
}

export const collectLldp: Collector = async (data, ctx) => {
  const inventory = (data.inventory as Inventory | undefined) ?? ctx.state.inventory;
  if (!inventory) throw new Error('the lldp collector needs the default collector');
  const names = inventory.interfaces.map((i) => i.name).filter((name) => name !== 'lo');

  const lldpd = await fromLldpd(ctx);
  if (lldpd) {
    // lldpd listens on every interface; no entry means no neighbour seen.
    data.lldp_raw = Object.fromEntries(names.map((name) => [name, lldpd.get(name) ?? []]));
    ctx.log.info('LLDP neighbours from lldpd', { interfaces_with_neighbours: names.filter((n) => lldpd.has(n)).length });
    return;
  }
  const tcpdump = await ctx.which('tcpdump');
  if (!tcpdump) {
    ctx.log.info('neither lldpctl nor tcpdump found; no LLDP data');
    return;
  }
  const timeoutMs = lldpTimeoutMs(ctx.kernelParams);
  ctx.log.info('waiting for LLDP frames', { interfaces: names.join(','), timeout_s: timeoutMs / 1000 });
  const captured = await Promise.all(names.map(async (name) => [name, await captureLldp(ctx, tcpdump, name, timeoutMs)] as const));
  data.lldp_raw = Object.fromEntries(captured);
  ctx.log.info('LLDP frames captured', { interfaces_with_neighbours: captured.filter(([, tlvs]) => tlvs.length > 0).length });
};

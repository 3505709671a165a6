// `lldp`: fills inventory.interfaces[].lldp with [type, hex value] TLV pairs,
// the form IPA sends (raw TLV bodies, hex encoded). The source is lldpd
// (`lldpctl -f json`), whose decoded neighbour data is turned back into TLVs:
// 1 chassis id, 2 port id, 4 port description, 5 system name, 6 system
// description, 127 IEEE 802.1 port VLAN id / VLAN name. Without lldpctl the
// interfaces keep lldp = null. lldpd needs to run for a transmit interval
// (30 s by default) before it knows its neighbours.

import net from 'node:net';
import type { Inventory } from '../../common/inventory';
import type { Collector } from './types';

export type Tlv = [number, string];

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

function idTlv(type: 1 | 2, id: unknown): Tlv | null {
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

function vlanTlvs(vlans: unknown): Tlv[] {
  const tlvs: Tlv[] = [];
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
export function neighbourToTlvs(entry: Record<string, unknown>): Tlv[] {
  const tlvs: Tlv[] = [];
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
export function lldpctlToTlvs(doc: unknown): Map<string, Tlv[]> {
  const result = new Map<string, Tlv[]>();
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

export const collectLldp: Collector = async (data, ctx) => {
  const inventory = (data.inventory as Inventory | undefined) ?? ctx.state.inventory;
  if (!inventory) throw new Error('the lldp collector needs the default collector');
  const lldpctl = await ctx.which('lldpctl');
  if (!lldpctl) {
    ctx.log.info('lldpctl not found; interfaces keep lldp=null');
    return;
  }
  const out = await ctx.exec(lldpctl, ['-f', 'json'], { timeoutMs: 15000 });
  if (out.code !== 0) {
    throw new Error(`lldpctl failed: ${(out.error ?? out.stderr).trim().split('\n')[0] || `exit ${out.code}`}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(out.stdout || '{}');
  } catch (error) {
    throw new Error(`lldpctl printed invalid JSON: ${(error as Error).message}`);
  }
  const tlvs = lldpctlToTlvs(doc);
  for (const iface of inventory.interfaces) {
    // lldpd listens on every interface; no entry means no neighbour seen.
    iface.lldp = tlvs.get(iface.name) ?? [];
  }
  ctx.log.info('LLDP neighbours collected', { interfaces_with_neighbours: [...tlvs.keys()].length });
};

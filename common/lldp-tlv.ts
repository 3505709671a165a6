import { bytesToMac } from './mac';

// LLDP TLVs (IEEE 802.1AB, plus the 802.1Q and 802.3 organizationally specific
// TLVs ironic-inspector understands), in the form IPA sends them: [type, hex string
// of the value]. Every decoder is bounded and returns null for a malformed value,
// which is then skipped, never fatal.

/** One TLV as IPA serialises it. */
export type LldpTlv = [number, string];

export const LLDP_TLV = {
  END: 0,
  CHASSIS_ID: 1,
  PORT_ID: 2,
  TTL: 3,
  PORT_DESCRIPTION: 4,
  SYSTEM_NAME: 5,
  SYSTEM_DESCRIPTION: 6,
  SYSTEM_CAPABILITIES: 7,
  MANAGEMENT_ADDRESS: 8,
  ORG_SPECIFIC: 127,
} as const;

/** A TLV's length field has 9 bits. */
export const MAX_TLV_VALUE_BYTES = 511;
/** An LLDPDU in a 1500-byte frame holds at most 750 (empty) TLVs. */
export const MAX_TLVS = 1024;
const LLDP_ETHERTYPE = 0x88cc;
const ETHERNET_HEADER_BYTES = 14;

const OUI_802_1 = '0080c2';
const OUI_802_3 = '00120f';

const CHASSIS_SUBTYPE_MAC = 4;
const CHASSIS_SUBTYPE_ADDRESS = 5;
const CHASSIS_STRING_SUBTYPES = new Set([1, 2, 3, 6, 7]);
const PORT_SUBTYPE_MAC = 3;
const PORT_SUBTYPE_ADDRESS = 4;
const PORT_STRING_SUBTYPES = new Set([1, 2, 5, 7]);

/** A decoded chassis or port ID: `kind` tells how `value` was decoded. */
export interface LldpId {
  subtype: number;
  kind: 'mac' | 'address' | 'string';
  value: string;
}

function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87; // a-f
  return -1;
}

/** A TLV value's hex string to bytes; null when not hex or longer than a TLV can be. */
export function hexToBytes(hex: unknown): Uint8Array | null {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || hex.length > 2 * MAX_TLV_VALUE_BYTES) return null;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    const hi = hexDigit(hex.charCodeAt(2 * i));
    const lo = hexDigit(hex.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return null;
    bytes[i] = (hi << 4) | lo;
  }
  return bytes;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 text without trailing NUL padding; null when not valid UTF-8. */
export function decodeString(bytes: Uint8Array): string | null {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  try {
    return utf8.decode(bytes.subarray(0, end));
  } catch {
    return null;
  }
}

function uint16(bytes: Uint8Array, offset = 0): number {
  return (bytes[offset] << 8) | bytes[offset + 1];
}

function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(uint16(bytes, i));
  // Compress the longest run (>= 2) of zero groups, RFC 5952.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** IANA address family + address (families 1 IPv4, 2 IPv6, 6 MAC). */
function decodeIanaAddress(family: number, bytes: Uint8Array): string | null {
  if (family === 1 && bytes.length >= 4) return Array.from(bytes.subarray(0, 4)).join('.');
  if (family === 2 && bytes.length >= 16) return formatIpv6(bytes.subarray(0, 16));
  if (family === 6 && bytes.length >= 6) return bytesToMac(bytes.subarray(0, 6));
  return null;
}

function decodeId(bytes: Uint8Array, macSubtype: number, addressSubtype: number, stringSubtypes: Set<number>): LldpId | null {
  if (bytes.length < 2) return null;
  const subtype = bytes[0];
  const rest = bytes.subarray(1);
  let kind: LldpId['kind'];
  let value: string | null;
  if (subtype === macSubtype) {
    kind = 'mac';
    value = bytesToMac(rest);
  } else if (subtype === addressSubtype) {
    kind = 'address';
    value = decodeIanaAddress(rest[0], rest.subarray(1));
  } else if (stringSubtypes.has(subtype)) {
    kind = 'string';
    value = decodeString(rest);
  } else {
    return null;
  }
  return value ? { subtype, kind, value } : null;
}

export function decodeChassisId(bytes: Uint8Array): LldpId | null {
  return decodeId(bytes, CHASSIS_SUBTYPE_MAC, CHASSIS_SUBTYPE_ADDRESS, CHASSIS_STRING_SUBTYPES);
}

export function decodePortId(bytes: Uint8Array): LldpId | null {
  return decodeId(bytes, PORT_SUBTYPE_MAC, PORT_SUBTYPE_ADDRESS, PORT_STRING_SUBTYPES);
}

const CAPABILITY_BITS: [number, string][] = [
  [0x0002, 'Repeater'],
  [0x0004, 'Bridge'],
  [0x0008, 'WLAN'],
  [0x0010, 'Router'],
  [0x0020, 'Telephone'],
  [0x0040, 'DOCSIS cable device'],
  [0x0080, 'Station only'],
  [0x0100, 'C-Vlan'],
  [0x0200, 'S-Vlan'],
  [0x0400, 'TPMR'],
];

// IANAifMauAutoNegCapBits (RFC 4836), bit 0 the most significant, with ironic-inspector's
// names. (ironic-inspector reads the 10BASE-T hdx bit for "10BASE-T fdx" too; we read its own.)
const AUTONEG_CAPABILITY_BITS: [number, string][] = [
  [0x4000, '10BASE-T hdx'],
  [0x2000, '10BASE-T fdx'],
  [0x1000, '10BASE-T4'],
  [0x0800, '100BASE-TX hdx'],
  [0x0400, '100BASE-TX fdx'],
  [0x0200, '100BASE-T2 hdx'],
  [0x0100, '100BASE-T2 fdx'],
  [0x0080, 'PAUSE fdx'],
  [0x0040, 'Asym PAUSE fdx'],
  [0x0020, 'Sym PAUSE fdx'],
  [0x0010, 'Asym and Sym PAUSE fdx'],
  [0x0008, '1000BASE-X hdx'],
  [0x0004, '1000BASE-X fdx'],
  [0x0002, '1000BASE-T hdx'],
  [0x0001, '1000BASE-T fdx'],
];

// dot3MauType (RFC 4836 ifMauTypeList) 0..53, as ironic-inspector names them.
const MAU_TYPES = [
  'Unknown', 'AUI', '10BASE-5', 'FOIRL', '10BASE-2', '10BASE-T duplex mode unknown', '10BASE-FP', '10BASE-FB',
  '10BASE-FL duplex mode unknown', '10BROAD36', '10BASE-T half duplex', '10BASE-T full duplex', '10BASE-FL half duplex',
  '10BASE-FL full duplex', '100 BASE-T4', '100BASE-TX half duplex', '100BASE-TX full duplex', '100BASE-FX half duplex',
  '100BASE-FX full duplex', '100BASE-T2 half duplex', '100BASE-T2 full duplex', '1000BASE-X half duplex',
  '1000BASE-X full duplex', '1000BASE-LX half duplex', '1000BASE-LX full duplex', '1000BASE-SX half duplex',
  '1000BASE-SX full duplex', '1000BASE-CX half duplex', '1000BASE-CX full duplex', '1000BASE-T half duplex',
  '1000BASE-T full duplex', '10GBASE-X', '10GBASE-LX4', '10GBASE-R', '10GBASE-ER', '10GBASE-LR', '10GBASE-SR',
  '10GBASE-W', '10GBASE-EW', '10GBASE-LW', '10GBASE-SW', '10GBASE-CX4', '2BASE-TL', '10PASS-TS', '100BASE-BX10D',
  '100BASE-BX10U', '100BASE-LX10', '1000BASE-BX10D', '1000BASE-BX10U', '1000BASE-LX10', '1000BASE-PX10D',
  '1000BASE-PX10U', '1000BASE-PX20D', '1000BASE-PX20U',
];

function bitNames(bits: number, table: [number, string][]): string[] {
  return table.filter(([bit]) => bits & bit).map(([, name]) => name);
}

/** Name/value pairs accumulated like ironic-inspector's LLDP parsers: first value wins, lists append. */
class Nv {
  readonly dict: Record<string, unknown> = {};
  set(name: string, value: unknown): void {
    if (!(name in this.dict)) this.dict[name] = value;
  }
  append(name: string, value: unknown): void {
    const list = (this.dict[name] ??= []) as unknown[];
    list.push(value);
  }
}

function linkAggregation(nv: Nv, data: Uint8Array): boolean {
  if (data.length !== 5) return false;
  nv.set('switch_port_link_aggregation_enabled', (data[0] & 0x02) !== 0);
  nv.set('switch_port_link_aggregation_support', (data[0] & 0x01) !== 0);
  nv.set('switch_port_link_aggregation_id', ((data[1] << 24) | (data[2] << 16) | (data[3] << 8) | data[4]) >>> 0);
  return true;
}

function parseDot1(nv: Nv, subtype: number, data: Uint8Array): boolean {
  switch (subtype) {
    case 1: // port VLAN ID
      if (data.length < 2) return false;
      nv.set('switch_port_untagged_vlan_id', uint16(data));
      return true;
    case 2: // port and protocol VLAN ID
      if (data.length !== 3) return false;
      nv.set('switch_port_protocol_vlan_enabled', (data[0] & 0x04) !== 0);
      nv.set('switch_port_protocol_vlan_support', (data[0] & 0x02) !== 0);
      nv.append('switch_port_protocol_vlan_ids', uint16(data, 1));
      return true;
    case 3: {
      // VLAN name
      if (data.length < 3 || data.length < 3 + data[2]) return false;
      const name = decodeString(data.subarray(3, 3 + data[2]));
      if (name === null) return false;
      nv.append('switch_port_vlans', { name, id: uint16(data) });
      return true;
    }
    case 4: // protocol identity
      if (data.length < 1 || data.length < 1 + data[0]) return false;
      nv.append('switch_protocol_identities', Buffer.from(data.subarray(1, 1 + data[0])).toString('hex'));
      return true;
    case 6: // management VID
      if (data.length < 2) return false;
      nv.set('switch_port_management_vlan_id', uint16(data));
      return true;
    case 7:
      return linkAggregation(nv, data);
    default:
      return false;
  }
}

function macPhyConfig(nv: Nv, data: Uint8Array): boolean {
  if (data.length !== 5) return false;
  const mauType = MAU_TYPES[uint16(data, 3)];
  if (mauType === undefined) return false;
  nv.set('switch_port_autonegotiation_enabled', (data[0] & 0x02) !== 0);
  nv.set('switch_port_autonegotiation_support', (data[0] & 0x01) !== 0);
  nv.set('switch_port_physical_capabilities', bitNames(uint16(data, 1), AUTONEG_CAPABILITY_BITS).sort());
  nv.set('switch_port_mau_type', mauType);
  return true;
}

function parseDot3(nv: Nv, subtype: number, data: Uint8Array): boolean {
  switch (subtype) {
    case 1:
      return macPhyConfig(nv, data);
    case 3: // link aggregation (deprecated, same format as 802.1's)
      return linkAggregation(nv, data);
    case 4: // maximum frame size
      if (data.length < 2) return false;
      nv.set('switch_port_mtu', uint16(data));
      return true;
    default:
      return false;
  }
}

const TEXT_TLV_NAMES: Record<number, string> = {
  [LLDP_TLV.PORT_DESCRIPTION]: 'switch_port_description',
  [LLDP_TLV.SYSTEM_NAME]: 'switch_system_name',
  [LLDP_TLV.SYSTEM_DESCRIPTION]: 'switch_system_description',
};

function parseTlv(nv: Nv, type: number, data: Uint8Array): boolean {
  switch (type) {
    case LLDP_TLV.CHASSIS_ID: {
      const id = decodeChassisId(data);
      if (id) nv.set('switch_chassis_id', id.value);
      return id !== null;
    }
    case LLDP_TLV.PORT_ID: {
      const id = decodePortId(data);
      if (id) nv.set('switch_port_id', id.value);
      return id !== null;
    }
    case LLDP_TLV.PORT_DESCRIPTION:
    case LLDP_TLV.SYSTEM_NAME:
    case LLDP_TLV.SYSTEM_DESCRIPTION: {
      const value = decodeString(data);
      if (value === null) return false;
      nv.set(TEXT_TLV_NAMES[type], value);
      return true;
    }
    case LLDP_TLV.SYSTEM_CAPABILITIES:
      if (data.length !== 4) return false;
      nv.set('switch_capabilities_support', bitNames(uint16(data, 0), CAPABILITY_BITS));
      nv.set('switch_capabilities_enabled', bitNames(uint16(data, 2), CAPABILITY_BITS));
      return true;
    case LLDP_TLV.MANAGEMENT_ADDRESS: {
      if (data.length < 2) return false;
      const address = decodeIanaAddress(data[1], data.subarray(2, 1 + data[0]));
      if (!address) return false;
      nv.append('switch_mgmt_addresses', address);
      return true;
    }
    case LLDP_TLV.ORG_SPECIFIC: {
      if (data.length < 4) return false;
      const oui = Buffer.from(data.subarray(0, 3)).toString('hex');
      if (oui === OUI_802_1) return parseDot1(nv, data[3], data.subarray(4));
      if (oui === OUI_802_3) return parseDot3(nv, data[3], data.subarray(4));
      return false;
    }
    case LLDP_TLV.TTL:
    case LLDP_TLV.END:
      return true; // handled, nothing to record
    default:
      return false;
  }
}

/** A [type, hex] pair whose type is a TLV type (0..127) and whose value is hex of at most 511 bytes. */
export function tlvBytes(tlv: unknown): { type: number; data: Uint8Array } | null {
  if (!Array.isArray(tlv) || tlv.length !== 2) return null;
  const type = tlv[0];
  if (typeof type !== 'number' || !Number.isInteger(type) || type < 0 || type > 127) return null;
  const data = hexToBytes(tlv[1]);
  return data ? { type, data } : null;
}

/**
 * Parses raw TLVs into ironic-inspector's `lldp_processed` names (switch_chassis_id,
 * switch_port_id, switch_port_description, switch_system_name, switch_system_description,
 * switch_capabilities_*, switch_mgmt_addresses, switch_port_untagged_vlan_id,
 * switch_port_vlans, switch_port_protocol_*, switch_port_link_aggregation_*,
 * switch_port_autonegotiation_*, switch_port_mau_type, switch_port_mtu, ...).
 */
export function parseLldpTlvs(tlvs: unknown): Record<string, unknown> {
  const nv = new Nv();
  if (!Array.isArray(tlvs)) return nv.dict;
  for (const tlv of tlvs.slice(0, MAX_TLVS)) {
    const parsed = tlvBytes(tlv);
    if (parsed) parseTlv(nv, parsed.type, parsed.data);
  }
  return nv.dict;
}

/**
 * An Ethernet frame carrying an LLDPDU to IPA's [type, hex] list, up to and including the
 * End TLV (the padding after it is not TLVs). Null when it is not an LLDP frame or a TLV
 * runs past its end.
 */
export function frameToTlvs(frame: Uint8Array): LldpTlv[] | null {
  if (frame.length < ETHERNET_HEADER_BYTES + 2 || uint16(frame, 12) !== LLDP_ETHERTYPE) return null;
  const tlvs: LldpTlv[] = [];
  let offset = ETHERNET_HEADER_BYTES;
  while (offset + 2 <= frame.length && tlvs.length < MAX_TLVS) {
    const header = uint16(frame, offset);
    const type = header >> 9;
    const length = header & 0x1ff;
    const start = offset + 2;
    if (start + length > frame.length) return null;
    tlvs.push([type, Buffer.from(frame.subarray(start, start + length)).toString('hex')]);
    if (type === LLDP_TLV.END) break;
    offset = start + length;
  }
  return tlvs;
}

type Obj = Record<string, unknown>;
const plainObject = (v: unknown): Obj | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : null);

/** An inventory interface, as far as its LLDP goes. */
interface LldpInterface {
  name: string;
  lldp?: unknown;
}

/**
 * An interface's raw LLDP TLVs as ironic-inspector picks them: the agent's top-level
 * `lldp_raw[name]` (IPA's `lldp` collector) when not empty, else the older
 * `inventory.interfaces[].lldp`; null when neither is there.
 */
export function interfaceTlvs(data: Obj, iface: LldpInterface): unknown[] | null {
  const raw = plainObject(data.lldp_raw);
  const fromRaw = raw && Object.hasOwn(raw, iface.name) ? raw[iface.name] : undefined;
  if (Array.isArray(fromRaw) && fromRaw.length > 0) return fromRaw;
  return Array.isArray(iface.lldp) ? iface.lldp : null;
}

/** What a NIC's LLDP says of its switch: lldp_basic's `all_interfaces[name].lldp_processed`, else its TLVs decoded; null without LLDP. */
export function lldpNeighbour(data: Obj, iface: LldpInterface): Obj | null {
  const all = plainObject(data.all_interfaces);
  const processed = plainObject(all && Object.hasOwn(all, iface.name) ? plainObject(all[iface.name])?.lldp_processed : undefined);
  if (processed) return processed;
  const tlvs = interfaceTlvs(data, iface);
  return tlvs ? parseLldpTlvs(tlvs) : null;
}

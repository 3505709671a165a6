import { bytesToMac } from '../../common/mac';

// LLDP TLV decoding (IEEE 802.1AB, plus the 802.1Q and 802.3 organizationally
// specific TLVs ironic-inspector understands). The agent reports each TLV as
// [type, hex string of the value]. Decoders return null for malformed values,
// which are skipped, never fatal.

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

export function hexToBytes(hex: unknown): Uint8Array | null {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(hex)) return null;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeString(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes).replace(/\0+$/, '');
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

function capabilityList(bits: number): string[] {
  return CAPABILITY_BITS.filter(([bit]) => bits & bit).map(([, name]) => name);
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

function parseDot3(nv: Nv, subtype: number, data: Uint8Array): boolean {
  switch (subtype) {
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
      const name =
        type === LLDP_TLV.PORT_DESCRIPTION
          ? 'switch_port_description'
          : type === LLDP_TLV.SYSTEM_NAME
            ? 'switch_system_name'
            : 'switch_system_description';
      nv.set(name, value);
      return true;
    }
    case LLDP_TLV.SYSTEM_CAPABILITIES:
      if (data.length !== 4) return false;
      nv.set('switch_capabilities_support', capabilityList(uint16(data, 0)));
      nv.set('switch_capabilities_enabled', capabilityList(uint16(data, 2)));
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

/**
 * Parses an interface's raw TLVs into ironic-inspector's `lldp_processed` names
 * (switch_chassis_id, switch_port_id, switch_port_description, switch_system_name,
 * switch_system_description, switch_capabilities_*, switch_mgmt_addresses,
 * switch_port_untagged_vlan_id, switch_port_vlans, switch_port_mtu, ...).
 */
export function parseLldpTlvs(tlvs: unknown): Record<string, unknown> {
  const nv = new Nv();
  if (!Array.isArray(tlvs)) return nv.dict;
  for (const tlv of tlvs) {
    if (!Array.isArray(tlv) || tlv.length !== 2 || typeof tlv[0] !== 'number') continue;
    const data = hexToBytes(tlv[1]);
    if (data) parseTlv(nv, tlv[0], data);
  }
  return nv.dict;
}

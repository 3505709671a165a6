// MAC address helpers shared by the hooks (validate_interfaces, lldp, local_link_connection).

const SEPARATED = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i;
const CISCO = /^([0-9a-f]{4})\.([0-9a-f]{4})\.([0-9a-f]{4})$/i;
const BARE = /^[0-9a-f]{12}$/i;

/**
 * Normalizes a MAC address to lower-case colon form (`aa:bb:cc:dd:ee:ff`).
 * Accepts colon/dash separated, Cisco dotted (`aabb.ccdd.eeff`) and bare 12-hex forms.
 * Returns null for anything else.
 */
export function normalizeMac(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const v = value.trim();
  let hex: string | null = null;
  const sep = SEPARATED.exec(v);
  if (sep) hex = sep.slice(1).join('');
  else {
    const cisco = CISCO.exec(v);
    if (cisco) hex = cisco.slice(1).join('');
    else if (BARE.test(v)) hex = v;
  }
  if (hex === null) return null;
  return hex.toLowerCase().match(/../g)!.join(':');
}

/** Formats 6 bytes as a lower-case colon MAC; null if not exactly 6 bytes. */
export function bytesToMac(bytes: Uint8Array): string | null {
  if (bytes.length !== 6) return null;
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}

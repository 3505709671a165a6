// MAC addresses as Introspector stores and compares them: lower-case aa:bb:cc:dd:ee:ff. The one
// place that reads MACs from outside (API bodies, boot script names, agent data, LLDP, the CLI).

const SEPARATED = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i;
const CISCO = /^([0-9a-f]{4})\.([0-9a-f]{4})\.([0-9a-f]{4})$/i;
const BARE = /^[0-9a-f]{12}$/i;
/** PXELINUX's BOOTIF: ARP type 1, then the MAC. */
const BOOTIF = /^01-([0-9a-f]{2}(?:-[0-9a-f]{2}){5})$/i;

/**
 * Colon or dash separated, Cisco dotted (aabb.ccdd.eeff) or bare 12-hex MACs to aa:bb:cc:dd:ee:ff;
 * null for anything else. (Anchored patterns of fixed-width groups: no backtracking.)
 */
export function normalizeMac(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 32) return null;
  const v = value.trim();
  const hex = SEPARATED.exec(v)?.slice(1).join('') ?? CISCO.exec(v)?.slice(1).join('') ?? (BARE.test(v) ? v : null);
  return hex === null ? null : hex.toLowerCase().match(/../g)!.join(':');
}

/** A MAC as a PXE boot names it: BOOTIF form (01-aa-bb-cc-dd-ee-ff) or any form normalizeMac reads. */
export function bootMac(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const bootif = BOOTIF.exec(value.trim());
  return normalizeMac(bootif ? bootif[1] : value);
}

/** Six bytes as a MAC; null if not exactly six. */
export function bytesToMac(bytes: Uint8Array): string | null {
  if (bytes.length !== 6) return null;
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}

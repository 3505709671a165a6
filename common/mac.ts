// MAC addresses as Introspector stores and compares them: lower-case aa:bb:cc:dd:ee:ff.

const HEX = new Set('0123456789abcdef');

/**
 * aa:bb:cc:dd:ee:ff, AA-BB-..., or PXELINUX's BOOTIF form 01-aa-bb-cc-dd-ee-ff (ARP type 1 +
 * MAC) to aa:bb:cc:dd:ee:ff; null for anything else (no regex: the input is from outside).
 */
export function normalizeMac(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length > 20) return null;
  const groups = raw.trim().toLowerCase().split(/[-:]/);
  const mac = groups.length === 7 && groups[0] === '01' ? groups.slice(1) : groups;
  if (mac.length !== 6 || !mac.every((g) => g.length === 2 && HEX.has(g[0]) && HEX.has(g[1]))) return null;
  return mac.join(':');
}

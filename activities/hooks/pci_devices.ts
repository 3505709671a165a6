import { mergeCapabilities } from './capabilities-string';
import type { ProcessingHook } from './types';

/**
 * Counts data.pci_devices matching config.pciAliases (vendor_id + product_id,
 * case-insensitive) and records `<alias name>:<count>` capabilities. Aliases
 * that match nothing add nothing; keys follow the alias order. No pci_devices in
 * the data → no-op.
 */
export const pciDevicesHook: ProcessingHook = {
  name: 'pci_devices',
  beforeUpdate(ctx) {
    const devices = ctx.data.pci_devices;
    if (!Array.isArray(devices) || ctx.config.pciAliases.length === 0) return;

    const key = (vendor: unknown, product: unknown) =>
      `${String(vendor).trim().toLowerCase()}:${String(product).trim().toLowerCase()}`;
    // One name per (vendor, product); a later alias for the same pair wins, as in ironic-inspector.
    const aliases = new Map<string, string>();
    for (const alias of ctx.config.pciAliases) aliases.set(key(alias.vendor_id, alias.product_id), alias.name);

    const perPair = new Map<string, number>();
    for (const device of devices) {
      if (!device || typeof device !== 'object') continue;
      const { vendor_id, product_id } = device as Record<string, unknown>;
      if (typeof vendor_id !== 'string' || typeof product_id !== 'string') continue;
      const pair = key(vendor_id, product_id);
      if (aliases.has(pair)) perPair.set(pair, (perPair.get(pair) ?? 0) + 1);
    }
    // In the order the aliases are configured.
    const counts: Record<string, number> = {};
    for (const [pair, name] of aliases) {
      const count = perPair.get(pair);
      if (count) counts[name] = count;
    }
    mergeCapabilities(ctx, counts);
  },
};

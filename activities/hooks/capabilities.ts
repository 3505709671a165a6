import { mergeCapabilities, type CapabilityValue } from './capabilities-string';
import { requireInventory } from './helpers';
import type { ProcessingHook } from './types';

/** ironic-inspector's default [capabilities]cpu_flags map: CPU flag → capability (PROCESSING_CPU_FLAGS replaces it). */
export const CPU_FLAG_CAPABILITIES: Record<string, string> = {
  vmx: 'cpu_vt',
  svm: 'cpu_vt',
  aes: 'cpu_aes',
  pse: 'cpu_hugepages',
  pdpe1gb: 'cpu_hugepages_1g',
  smx: 'cpu_txt',
};

/** Boot mode and CPU-flag capabilities (config.cpuFlags), merged into properties.capabilities. */
export const capabilitiesHook: ProcessingHook = {
  name: 'capabilities',
  beforeUpdate(ctx) {
    const inventory = requireInventory(ctx);
    const caps: Record<string, CapabilityValue> = {};

    const bootMode = inventory.boot?.current_boot_mode;
    if (bootMode) caps.boot_mode = bootMode;

    const flags = new Set(Array.isArray(inventory.cpu?.flags) ? inventory.cpu.flags : []);
    for (const [flag, capability] of Object.entries(ctx.config.cpuFlags)) {
      if (flags.has(flag)) caps[capability] = 'true';
    }

    mergeCapabilities(ctx, caps);
  },
};

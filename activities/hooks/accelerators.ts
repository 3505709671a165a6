import type { KnownAccelerator, ProcessingHook } from './types';

/** ironic-inspector's shipped known_accelerators.yaml (PROCESSING_ACCELERATORS_FILE replaces it). */
export const KNOWN_ACCELERATORS: KnownAccelerator[] = [
  { vendor_id: '10de', device_id: '1eb8', type: 'GPU', device_info: 'NVIDIA Corporation Tesla T4' },
  { vendor_id: '10de', device_id: '1df6', type: 'GPU', device_info: 'NVIDIA Corporation GV100GL' },
];

/**
 * ironic-inspector's accel_device: every PCI device of data.pci_devices that
 * config.accelerators knows (vendor_id + product_id = its vendor_id + device_id)
 * becomes an entry of properties.accelerators: the known device's keys plus
 * `pci_address` (the device's bus address). No known device → the property is
 * left as it is.
 */
export const acceleratorsHook: ProcessingHook = {
  name: 'accelerators',
  beforeUpdate(ctx) {
    const devices = ctx.data.pci_devices;
    if (!Array.isArray(devices) || devices.length === 0) return;
    const known = new Map<string, KnownAccelerator>();
    for (const a of ctx.config.accelerators) {
      const key = `${a.vendor_id}:${a.device_id}`;
      if (!known.has(key)) known.set(key, a); // the first entry of the list wins, as ironic-inspector
    }
    const found: Record<string, unknown>[] = [];
    for (const device of devices) {
      const match = known.get(`${device.vendor_id.toLowerCase()}:${device.product_id.toLowerCase()}`);
      if (match) found.push({ ...match, pci_address: device.bus ?? null });
    }
    if (found.length > 0) ctx.patch.properties.accelerators = found;
  },
};

// `pci-devices`: pci_devices = [{vendor_id, product_id, class, revision, bus, numa_node_id}]
// from /sys/bus/pci/devices, as IPA's collect_pci_devices_info.

import type { CollectorContext } from '../context';
import { isDir, listDir, readText, under } from '../sys';
import type { Collector } from './types';

export interface PciDevice {
  vendor_id: string;
  product_id: string;
  class: string;
  revision: string | null;
  bus: string;
  /** The file's text as IPA sends it ("0", "-1" without NUMA); null when the kernel has none. */
  numa_node_id: string | null;
}

/** "0x8086" -> "8086"; null when the value is not in that form. */
export function stripHex(value: string | null): string | null {
  const match = value?.match(/^0x([0-9a-fA-F]+)$/);
  return match ? match[1].toLowerCase() : null;
}

export async function listPciDevices(ctx: CollectorContext): Promise<PciDevice[]> {
  const base = under(ctx.root, 'sys/bus/pci/devices');
  if (!(await isDir(base))) throw new Error(`no PCI device directory at ${base}`);
  const devices: PciDevice[] = [];
  for (const bus of await listDir(base)) {
    const dir = under(base, bus);
    if (!(await isDir(dir))) continue;
    const vendor = stripHex(await readText(under(dir, 'vendor')));
    const product = stripHex(await readText(under(dir, 'device')));
    const klass = stripHex(await readText(under(dir, 'class')));
    if (!vendor || !product || !klass) {
      ctx.log.warn('PCI device without readable vendor/device/class, skipped', { bus });
      continue;
    }
    devices.push({
      vendor_id: vendor,
      product_id: product,
      class: klass,
      revision: stripHex(await readText(under(dir, 'revision'))),
      bus,
      numa_node_id: await readText(under(dir, 'numa_node')),
    });
  }
  return devices;
}

export const collectPciDevices: Collector = async (data, ctx) => {
  data.pci_devices = await listPciDevices(ctx);
  ctx.log.info('PCI devices collected', { count: (data.pci_devices as PciDevice[]).length });
};

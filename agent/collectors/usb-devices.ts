// `usb-devices`: usb_devices = [{product, vendor, handle}] as IPA's
// collect_usb_devices (lshw's USB nodes: product and vendor strings, handle
// `USB:<bus>:<device>`), read from /sys/bus/usb/devices. Hubs (root hubs
// included) are left out; the strings are '' when the device has none, as IPA.

import { listDir, readText, under } from '../sys';
import type { Collector } from './types';
import type { CollectorContext } from '../context';

export interface UsbDevice {
  product: string;
  vendor: string;
  handle: string;
}

const USB_CLASS_HUB = '09';

export async function listUsbDevices(ctx: CollectorContext): Promise<UsbDevice[]> {
  const base = under(ctx.root, 'sys/bus/usb/devices');
  const devices: UsbDevice[] = [];
  // Interfaces are named <device>:<config>.<interface>; devices have no colon.
  for (const name of (await listDir(base)).filter((n) => !n.includes(':'))) {
    const dir = under(base, name);
    if ((await readText(under(dir, 'bDeviceClass'))) === USB_CLASS_HUB) continue;
    const bus = await readText(under(dir, 'busnum'));
    const device = await readText(under(dir, 'devnum'));
    if (!bus || !device) {
      ctx.log.warn('USB device without bus or device number, skipped', { device: name });
      continue;
    }
    devices.push({
      product: (await readText(under(dir, 'product'))) ?? '',
      vendor: (await readText(under(dir, 'manufacturer'))) ?? '',
      handle: `USB:${bus}:${device}`,
    });
  }
  return devices;
}

export const collectUsbDevices: Collector = async (data, ctx) => {
  data.usb_devices = await listUsbDevices(ctx);
  ctx.log.info('USB devices collected', { count: (data.usb_devices as UsbDevice[]).length });
};

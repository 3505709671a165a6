// `usb-devices`: usb_devices = [{product, vendor, handle}] from /sys/bus/usb/devices.

import { collectUsbDevices, listUsbDevices } from '../../agent/collectors/usb-devices';
import { createContext } from '../../agent/context';
import { UsbDeviceSchema } from '../../common/inventory';
import { captureLogger, makeTree, removeTree } from './helpers';

const dev = (name: string, files: Record<string, string>) =>
  Object.fromEntries(Object.entries(files).map(([file, text]) => [`sys/bus/usb/devices/${name}/${file}`, `${text}\n`]));

let root: string;
beforeAll(async () => {
  root = await makeTree({
    ...dev('usb1', { bDeviceClass: '09', busnum: '1', devnum: '1', product: 'xHCI Host Controller', manufacturer: 'Linux 6.1.0 xhci-hcd' }),
    ...dev('1-0:1.0', { bInterfaceClass: '09' }),
    ...dev('1-1', { bDeviceClass: '00', busnum: '1', devnum: '2', product: 'Virtual Keyboard', manufacturer: 'American Megatrends Inc.' }),
    ...dev('1-1:1.0', { bInterfaceClass: '03' }),
    ...dev('1-2', { bDeviceClass: '09', busnum: '1', devnum: '3', product: 'USB2.0 Hub' }),
    ...dev('1-2.1', { bDeviceClass: '00', busnum: '1', devnum: '4' }),
    ...dev('2-1', { bDeviceClass: '00', busnum: '2' }),
  });
});
afterAll(() => removeTree(root));

test('every device but hubs, strings as the device gives them', async () => {
  const log = captureLogger();
  const devices = await listUsbDevices(createContext({ root, log }));
  expect(devices).toEqual([
    { product: 'Virtual Keyboard', vendor: 'American Megatrends Inc.', handle: 'USB:1:2' },
    { product: '', vendor: '', handle: 'USB:1:4' },
  ]);
  for (const d of devices) expect(UsbDeviceSchema.safeParse(d).success).toBe(true);
  expect(log.text()).toContain('USB device without bus or device number, skipped {"device":"2-1"}');
});

test('no USB bus: an empty list', async () => {
  const empty = await makeTree({});
  try {
    const data: Record<string, unknown> = {};
    await collectUsbDevices(data, createContext({ root: empty }));
    expect(data.usb_devices).toEqual([]);
  } finally {
    await removeTree(empty);
  }
});

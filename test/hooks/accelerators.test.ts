import { acceleratorsHook } from '../../activities/hooks/accelerators';
import type { KnownAccelerator } from '../../activities/hooks/types';
import { makeCtx, makeData } from './helpers';

const pci = (vendor: string, product: string, bus: string) => ({ vendor_id: vendor, product_id: product, class: '030200', revision: 'a1', bus, numa_node_id: '0' });

function run(pciDevices: unknown, accelerators?: KnownAccelerator[], properties: Record<string, unknown> = {}) {
  const ctx = makeCtx(makeData({}, pciDevices === undefined ? {} : { pci_devices: pciDevices }), {
    config: accelerators ? { accelerators } : {},
    node: { properties },
  });
  acceleratorsHook.beforeUpdate!(ctx);
  return ctx;
}

describe('accelerators', () => {
  it('lists the known devices with their PCI address (default list: ironic-inspector’s)', () => {
    const ctx = run([pci('10de', '1eb8', '0000:3b:00.0'), pci('8086', '2020', '0000:00:00.0'), pci('10DE', '1DF6', '0000:af:00.0')]);
    expect(ctx.patch.properties.accelerators).toEqual([
      { vendor_id: '10de', device_id: '1eb8', type: 'GPU', device_info: 'NVIDIA Corporation Tesla T4', pci_address: '0000:3b:00.0' },
      { vendor_id: '10de', device_id: '1df6', type: 'GPU', device_info: 'NVIDIA Corporation GV100GL', pci_address: '0000:af:00.0' },
    ]);
  });

  it('uses the configured list, every key of an entry kept; the first entry for an id wins', () => {
    const known = [
      { vendor_id: '1ae0', device_id: '0042', type: 'TPU', device_info: 'Example TPU', generation: 4 },
      { vendor_id: '1ae0', device_id: '0042', type: 'other' },
    ];
    expect(run([pci('1ae0', '0042', '0000:05:00.0')], known).patch.properties.accelerators).toEqual([
      { vendor_id: '1ae0', device_id: '0042', type: 'TPU', device_info: 'Example TPU', generation: 4, pci_address: '0000:05:00.0' },
    ]);
  });

  it.each([
    ['no known device', [pci('8086', '2020', '0000:00:00.0')]],
    ['an empty list', []],
    ['no pci_devices collector', undefined],
  ])('%s: the property is left as it is', (_, devices) => {
    const ctx = run(devices, undefined, { accelerators: [{ type: 'GPU' }] });
    expect(ctx.patch.properties).toEqual({});
  });
});

import { capabilitiesHook } from '../../activities/hooks/capabilities';
import { pciDevicesHook } from '../../activities/hooks/pci_devices';
import { makeCtx, makeData } from './helpers';

const DEVICES = [
  { vendor_id: '8086', product_id: '1521', class: '020000', bus: '0000:19:00.0' },
  { vendor_id: '8086', product_id: '1521', class: '020000', bus: '0000:19:00.1' },
  { vendor_id: '10DE', product_id: '1EB8', class: '030200', bus: '0000:3b:00.0' },
  { vendor_id: '10de', product_id: '1eb8', class: '030200', bus: '0000:5e:00.0' },
  { vendor_id: '15b3', product_id: '1017', class: '020000', bus: '0000:af:00.0' },
];
const ALIASES = [
  { vendor_id: '10de', product_id: '1EB8', name: 'gpu_t4' },
  { vendor_id: '8086', product_id: '1521', name: 'nic_i350' },
  { vendor_id: '1af4', product_id: '1000', name: 'virtio_net' },
];

function run(devices: unknown, aliases = ALIASES, nodeCaps?: string) {
  const ctx = makeCtx(makeData({}, devices === undefined ? {} : { pci_devices: devices }), {
    config: { pciAliases: aliases },
    node: { properties: nodeCaps ? { capabilities: nodeCaps } : {} },
  });
  pciDevicesHook.beforeUpdate!(ctx);
  return ctx;
}

describe('pci_devices', () => {
  it('counts devices per alias, case-insensitively', () => {
    expect(run(DEVICES).patch.properties.capabilities).toBe('gpu_t4:2,nic_i350:2');
  });

  it('merges with the node capabilities', () => {
    expect(run(DEVICES, ALIASES, 'boot_option:local,gpu_t4:0').patch.properties.capabilities).toBe(
      'boot_option:local,gpu_t4:2,nic_i350:2',
    );
  });

  it('does nothing without matches, aliases or PCI data', () => {
    expect(run([DEVICES[4]]).patch.properties).toEqual({});
    expect(run(DEVICES, []).patch.properties).toEqual({});
    expect(run(undefined).patch.properties).toEqual({});
  });

  it('a later alias for the same device wins', () => {
    const aliases = [...ALIASES, { vendor_id: '10de', product_id: '1eb8', name: 'tesla' }];
    expect(run(DEVICES, aliases).patch.properties.capabilities).toBe('tesla:2,nic_i350:2');
  });

  it('gives the same capabilities whichever of capabilities/pci_devices runs first', () => {
    const build = () =>
      makeCtx(makeData({ cpu: { count: 4, architecture: 'x86_64', flags: ['vmx'] } }, { pci_devices: DEVICES }), {
        config: { pciAliases: ALIASES },
        node: { properties: { capabilities: 'boot_option:local' } },
      });
    const a = build();
    capabilitiesHook.beforeUpdate!(a);
    pciDevicesHook.beforeUpdate!(a);
    const b = build();
    pciDevicesHook.beforeUpdate!(b);
    capabilitiesHook.beforeUpdate!(b);
    expect(a.patch.properties.capabilities).toBe('boot_option:local,cpu_vt:true,gpu_t4:2,nic_i350:2');
    const sorted = (s: unknown) => String(s).split(',').sort();
    expect(sorted(b.patch.properties.capabilities)).toEqual(sorted(a.patch.properties.capabilities));
  });
});

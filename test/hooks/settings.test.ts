import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_HOOK_ORDER, DEFAULT_PROCESSING_CONFIG } from '../../activities/hooks';
import { processingSettings } from '../../activities/hooks/settings';

describe('processing settings from the environment', () => {
  test('defaults are ironic-inspector’s', () => {
    expect(processingSettings({})).toEqual({ hookOrder: DEFAULT_HOOK_ORDER, config: DEFAULT_PROCESSING_CONFIG });
  });

  test('hook order, port policies, PCI aliases and the root disk minimum are read', () => {
    const s = processingSettings({
      PROCESSING_HOOKS: 'ramdisk_error, scheduler,validate_interfaces',
      PROCESSING_ADD_PORTS: 'all',
      PROCESSING_KEEP_PORTS: 'added',
      PROCESSING_PCI_ALIASES: '[{"vendor_id":"0x10DE","product_id":"1eb8","name":"gpu_t4"}]',
      PROCESSING_MIN_ROOT_DISK_GIB: '8',
    });
    expect(s.hookOrder).toEqual(['ramdisk_error', 'scheduler', 'validate_interfaces']);
    expect(s.config).toEqual({
      ...DEFAULT_PROCESSING_CONFIG,
      addPorts: 'all',
      keepPorts: 'added',
      pciAliases: [{ vendor_id: '10de', product_id: '1eb8', name: 'gpu_t4' }],
      minRootDiskGiB: 8,
    });
  });

  test.each([
    [{ PROCESSING_HOOKS: 'scheduler,no_such_hook' }, /PROCESSING_HOOKS: unknown hook\(s\) no_such_hook; known: .*scheduler/],
    [{ PROCESSING_ADD_PORTS: 'some' }, /PROCESSING_ADD_PORTS: /],
    [{ PROCESSING_PCI_ALIASES: '[{"vendor_id":"10de"' }, /PROCESSING_PCI_ALIASES: not JSON/],
    [{ PROCESSING_PCI_ALIASES: '[{"vendor_id":"nvidia","product_id":"1eb8","name":"gpu"}]' }, /PROCESSING_PCI_ALIASES\.0\.vendor_id: a 4-digit hex PCI vendor id/],
  ])('%j is rejected naming the variable', (env, message) => {
    expect(() => processingSettings(env)).toThrow(message);
  });
});

describe('overwrite_existing, CPU flags, CIDR → physnet map and accelerators', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hook-settings-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };

  test('defaults: overwrite, ironic-inspector’s CPU flag map and known accelerators, no CIDR map', () => {
    const { config } = processingSettings({});
    expect(config.overwriteExisting).toBe(true);
    expect(config.cpuFlags).toEqual({ vmx: 'cpu_vt', svm: 'cpu_vt', aes: 'cpu_aes', pse: 'cpu_hugepages', pdpe1gb: 'cpu_hugepages_1g', smx: 'cpu_txt' });
    expect(config.physnetCidrMap).toEqual([]);
    expect(config.accelerators.map((a) => `${a.vendor_id}:${a.device_id}`)).toEqual(['10de:1eb8', '10de:1df6']);
    // '' is unset, as for PROCESSING_HOOKS
    expect(processingSettings({ PROCESSING_OVERWRITE_EXISTING: '', PROCESSING_CPU_FLAGS: '', PROCESSING_PCI_ALIASES: '' }).config).toEqual(config);
  });

  test('each is read', () => {
    const accelerators = file(
      'accel.json',
      JSON.stringify({ pci_devices: [{ vendor_id: '0x1AE0', device_id: '0042', type: 'TPU', device_info: 'Example TPU', extra: 1 }] }),
    );
    const { config } = processingSettings({
      PROCESSING_OVERWRITE_EXISTING: 'false',
      PROCESSING_CPU_FLAGS: 'avx512f:cpu_avx512, vmx:cpu_vt',
      PROCESSING_PHYSNET_CIDR_MAP: '10.10.10.0/24:physnet_a,2001:db8::/64:physnet_b',
      PROCESSING_ACCELERATORS_FILE: accelerators,
    });
    expect(config.overwriteExisting).toBe(false);
    expect(config.cpuFlags).toEqual({ avx512f: 'cpu_avx512', vmx: 'cpu_vt' });
    expect(config.physnetCidrMap).toEqual([
      { cidr: '10.10.10.0/24', physnet: 'physnet_a' },
      { cidr: '2001:db8::/64', physnet: 'physnet_b' },
    ]);
    expect(config.accelerators).toEqual([{ vendor_id: '1ae0', device_id: '0042', type: 'TPU', device_info: 'Example TPU', extra: 1 }]);
  });

  test.each([
    [{ PROCESSING_OVERWRITE_EXISTING: 'maybe' }, /PROCESSING_OVERWRITE_EXISTING/],
    [{ PROCESSING_CPU_FLAGS: 'vmx' }, /PROCESSING_CPU_FLAGS\.0: flag:capability/],
    [{ PROCESSING_PHYSNET_CIDR_MAP: '10.10.10.0/24:physnet_a,10.0.0.300/8:x' }, /PROCESSING_PHYSNET_CIDR_MAP\.1: cidr:physnet/],
    [{ PROCESSING_PHYSNET_CIDR_MAP: '10.10.10.0/24' }, /PROCESSING_PHYSNET_CIDR_MAP\.0: cidr:physnet/],
    [{ PROCESSING_ACCELERATORS_FILE: '/nonexistent/accel.json' }, /PROCESSING_ACCELERATORS_FILE: cannot read \/nonexistent\/accel.json as JSON/],
  ])('%j is rejected naming the variable', (env, message) => {
    expect(() => processingSettings(env)).toThrow(message);
  });

  test('a bad accelerator file is rejected naming the file and the entry', () => {
    const notJson = file('bad.json', 'pci_devices:\n  - vendor_id: "10de"\n');
    expect(() => processingSettings({ PROCESSING_ACCELERATORS_FILE: notJson })).toThrow(/PROCESSING_ACCELERATORS_FILE: cannot read .*bad\.json as JSON: Unexpected token/);
    const noDevice = file('nodev.json', JSON.stringify({ pci_devices: [{ vendor_id: '10de', type: 'GPU' }] }));
    expect(() => processingSettings({ PROCESSING_ACCELERATORS_FILE: noDevice })).toThrow(/nodev\.json: pci_devices\.0\.device_id/);
  });
});

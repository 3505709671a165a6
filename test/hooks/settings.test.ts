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
    expect(s.config).toEqual({ addPorts: 'all', keepPorts: 'added', pciAliases: [{ vendor_id: '10de', product_id: '1eb8', name: 'gpu_t4' }], minRootDiskGiB: 8 });
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

import { DEFAULT_PROCESSING_CONFIG, runPipeline } from '../../activities/hooks';
import type { HookNode, ProcessingConfig } from '../../activities/hooks/types';
import { loadPayload, makeNode } from './helpers';

// overwrite_existing=false through the whole pipeline on the realistic IPA payload.

const ORDER = ['ramdisk_error', 'root_disk_selection', 'scheduler', 'validate_interfaces', 'capabilities', 'lldp_basic', 'local_link_connection', 'physnet_cidr_map'];
const CONFIG: ProcessingConfig = {
  ...DEFAULT_PROCESSING_CONFIG,
  addPorts: 'active',
  physnetCidrMap: [{ cidr: '0.0.0.0/0', physnet: 'fabric' }],
};
const PXE_MAC = '52:54:00:ab:cd:01';
const OTHER_MAC = '52:54:00:ab:cd:02';

function node(overrides: Partial<HookNode> = {}): HookNode {
  return makeNode({
    properties: { cpus: 2, memory_mb: 0, cpu_arch: '', local_gb: null, capabilities: 'boot_mode:bios,boot_option:local,bare' },
    ports: [
      { address: PXE_MAC.toUpperCase(), pxe_enabled: false, local_link_connection: { switch_id: '00:00:00:00:00:99', port_id: '' }, physical_network: 'mine' },
      { address: OTHER_MAC, pxe_enabled: true, physical_network: null },
    ],
    ...overrides,
  });
}

describe('overwrite_existing', () => {
  const overwrite = runPipeline(loadPayload(), node(), CONFIG, ORDER);
  const keep = runPipeline(loadPayload(), node(), { ...CONFIG, overwriteExisting: false }, ORDER);

  it('true (default): introspection replaces what the node has', () => {
    expect(overwrite.patch.properties).toMatchObject({ cpus: 32, memory_mb: 16384, cpu_arch: 'x86_64', local_gb: 446 });
    expect(overwrite.patch.properties.capabilities).toBe('boot_mode:uefi,boot_option:local,bare,cpu_vt:true,cpu_aes:true,cpu_hugepages:true');
    expect(overwrite.patch.ports.find((p) => p.address === PXE_MAC)).toMatchObject({ pxe_enabled: true, physical_network: 'fabric' });
  });

  it('false: properties the node has stay, empty ones (0, null, "", as Python sees them) are filled; capabilities key by key', () => {
    expect(keep.patch.properties).toEqual({
      memory_mb: 16384,
      cpu_arch: 'x86_64',
      local_gb: 446,
      capabilities: 'boot_mode:bios,boot_option:local,bare,cpu_vt:true,cpu_aes:true,cpu_hugepages:true',
    });
  });

  it('false: existing ports keep pxe_enabled, their connection keys and physical network; missing ones are filled', () => {
    expect(keep.patch.ports).toEqual([
      {
        address: PXE_MAC,
        pxe_enabled: false,
        local_link_connection: { switch_id: '00:00:00:00:00:99', port_id: 'Ethernet1/7', switch_info: 'leaf-sw-01' },
      },
      {
        address: OTHER_MAC,
        pxe_enabled: true,
        local_link_connection: { switch_id: '64:1e:81:f4:1a:21', port_id: 'Ethernet1/8', switch_info: 'leaf-sw-02' },
        physical_network: 'fabric',
      },
    ]);
  });

  it('false: the processed data still records what was found', () => {
    expect(keep.data).toMatchObject({ cpus: 32, memory_mb: 16384, local_gb: 446 });
  });

  it('false on a node with nothing set is the same as true', () => {
    const bare = makeNode();
    expect(runPipeline(loadPayload(), bare, { ...CONFIG, overwriteExisting: false }, ORDER)).toEqual(runPipeline(loadPayload(), bare, CONFIG, ORDER));
  });
});

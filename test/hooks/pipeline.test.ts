import {
  DEFAULT_HOOK_ORDER,
  DEFAULT_PROCESSING_CONFIG,
  HOOKS,
  runPipeline,
} from '../../activities/hooks';
import { HookError, type ProcessingConfig } from '../../activities/hooks/types';
import { IntrospectionDataSchema } from '../../common/inventory';
import { NODE_UUID, loadPayload, makeNode } from './helpers';

const CONFIG: ProcessingConfig = {
  ...DEFAULT_PROCESSING_CONFIG,
  addPorts: 'active',
  keepPorts: 'present',
  pciAliases: [{ vendor_id: '10de', product_id: '1eb8', name: 'gpu_t4' }],
};
const STALE_PORT = { address: 'de:ad:be:ef:00:01', pxe_enabled: true };
const node = () => makeNode({ properties: { capabilities: 'boot_option:local' }, ports: [STALE_PORT] });

describe('runPipeline on a realistic IPA payload', () => {
  it('the fixture satisfies the inventory contract', () => {
    expect(IntrospectionDataSchema.safeParse(loadPayload()).success).toBe(true);
  });

  const result = runPipeline(loadPayload(), node(), CONFIG);

  it('sets the scheduler properties', () => {
    expect(result.patch.properties).toMatchObject({
      cpus: 32,
      cpu_arch: 'x86_64',
      memory_mb: 16384,
      local_gb: 446, // /dev/sda: 480103981056 B = 447.1 GiB → 447 - 1
    });
    expect((result.data.root_disk as { name: string }).name).toBe('/dev/sda');
  });

  it('sets the capabilities string', () => {
    expect(result.patch.properties.capabilities).toBe(
      'boot_option:local,boot_mode:uefi,cpu_vt:true,cpu_aes:true,cpu_hugepages:true,gpu_t4:1',
    );
  });

  it('creates the ports with their local link connection and removes the stale one', () => {
    expect(result.patch.ports).toEqual([
      {
        address: '52:54:00:ab:cd:01',
        pxe_enabled: true,
        local_link_connection: { switch_id: '64:1e:81:f4:1a:20', port_id: 'Ethernet1/7', switch_info: 'leaf-sw-01' },
      },
      {
        address: '52:54:00:ab:cd:02',
        pxe_enabled: false,
        local_link_connection: { switch_id: '64:1e:81:f4:1a:21', port_id: 'Ethernet1/8', switch_info: 'leaf-sw-02' },
      },
    ]);
    expect(result.patch.removePorts).toEqual(['de:ad:be:ef:00:01']);
    expect(result.data.macs).toEqual(['52:54:00:ab:cd:01', '52:54:00:ab:cd:02']);
  });

  it('stores the extra hardware data as its own object', () => {
    const name = `extra_hardware-${NODE_UUID}`;
    expect(Object.keys(result.objects)).toEqual([name]);
    expect(result.objects[name]).toEqual(loadPayload().data);
    expect(result.patch.extra).toEqual({ hardware_swift_object: name });
    expect(result.data).not.toHaveProperty('data');
    expect(result.data.extra).toMatchObject({ system: { product: { name: 'PowerEdge R640' } }, cpu: { logical: { number: 32 } } });
  });

  it('leaves processed LLDP data in all_interfaces', () => {
    const all = result.data.all_interfaces as Record<string, { lldp_processed: Record<string, unknown> }>;
    expect(all.eno1.lldp_processed).toMatchObject({
      switch_chassis_id: '64:1e:81:f4:1a:20',
      switch_port_id: 'Ethernet1/7',
      switch_port_description: 'server-r3u12 eno1',
      switch_system_name: 'leaf-sw-01',
      switch_port_untagged_vlan_id: 100,
      switch_port_vlans: [{ name: 'vlan100', id: 100 }],
      switch_port_mtu: 9000,
      switch_mgmt_addresses: ['192.168.100.2'],
    });
    expect(result.data.ipmi_address).toBe('192.168.50.21');
  });

  it('with the default config adds only the PXE port and keeps other ports', () => {
    const r = runPipeline(loadPayload(), node(), DEFAULT_PROCESSING_CONFIG);
    expect(r.patch.ports.map((p) => [p.address, p.pxe_enabled])).toEqual([['52:54:00:ab:cd:01', true]]);
    expect(r.patch.removePorts).toEqual([]);
    expect(r.patch.properties.capabilities).toBe('boot_option:local,boot_mode:uefi,cpu_vt:true,cpu_aes:true,cpu_hugepages:true');
  });

  it('does not modify its inputs', () => {
    const data = loadPayload();
    const n = node();
    const before = JSON.stringify([data, n]);
    runPipeline(data, n, CONFIG);
    expect(JSON.stringify([data, n])).toBe(before);
  });

  it('is deterministic', () => {
    expect(runPipeline(loadPayload(), node(), CONFIG)).toEqual(result);
  });
});

describe('runPipeline mechanics', () => {
  it('registers every default hook under its name', () => {
    expect(DEFAULT_HOOK_ORDER.filter((n) => !(n in HOOKS))).toEqual([]);
    for (const [name, hook] of Object.entries(HOOKS)) expect(hook.name).toBe(name);
  });

  it('runs every beforeProcessing before any beforeUpdate', () => {
    // lldp_basic listed first still sees all_interfaces built by validate_interfaces.beforeProcessing
    const r = runPipeline(loadPayload(), node(), CONFIG, ['lldp_basic', 'validate_interfaces']);
    const all = r.data.all_interfaces as Record<string, { lldp_processed?: unknown }>;
    expect(all.eno1.lldp_processed).toBeDefined();
    expect(r.patch.properties).toEqual({});
  });

  it('stops at a ramdisk error before any other hook', () => {
    const data = { ...loadPayload(), error: 'disk enumeration failed' };
    expect(() => runPipeline(data, node(), CONFIG)).toThrow(HookError);
    expect(() => runPipeline(data, node(), CONFIG)).toThrow(
      /^hook ramdisk_error: Ramdisk reported error: disk enumeration failed$/,
    );
  });

  it('wraps hook errors with the hook name', () => {
    const n = makeNode({ properties: { root_device: { serial: 'NOPE' } } });
    let error: unknown;
    try {
      runPipeline(loadPayload(), n, CONFIG);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HookError);
    expect((error as Error).message).toBe('hook root_disk_selection: No disks satisfied root device hints {"serial":"NOPE"}');
  });

  it('wraps unexpected errors too', () => {
    const broken = { ...node(), ports: null as unknown as [] }; // validate_interfaces iterates node.ports
    expect(() => runPipeline(loadPayload(), broken, CONFIG)).toThrow(HookError);
    expect(() => runPipeline(loadPayload(), broken, CONFIG)).toThrow(/^hook validate_interfaces: .*not iterable/);
  });

  it('raid_device before root_disk_selection: the root device it learns chooses the root disk in the same run', () => {
    const n = makeNode({ extra: { block_devices: { serials: ['S47MNA0N312345', '012345678901'] } } });
    const r = runPipeline(loadPayload(), n, CONFIG, ['raid_device', 'root_disk_selection', 'scheduler']);
    expect(r.patch.properties).toMatchObject({ root_device: { serial: 'W470ABCD' }, local_gb: 930 });
    expect((r.data.root_disk as { name: string }).name).toBe('/dev/sdb');
    expect(r.patch.extra).toEqual({ block_devices: undefined });
  });

  it('the optional hooks (physnet_cidr_map, raid_device, accelerators) are registered, not run by default', () => {
    for (const name of ['physnet_cidr_map', 'raid_device', 'accelerators']) {
      expect(HOOKS[name]?.name).toBe(name);
      expect(DEFAULT_HOOK_ORDER).not.toContain(name);
    }
    const r = runPipeline(loadPayload(), node(), CONFIG, [...DEFAULT_HOOK_ORDER, 'accelerators']);
    expect(r.patch.properties.accelerators).toEqual([
      { vendor_id: '10de', device_id: '1eb8', type: 'GPU', device_info: 'NVIDIA Corporation Tesla T4', pci_address: '0000:3b:00.0' },
    ]);
  });

  it('rejects an unknown hook name before running anything', () => {
    expect(() => runPipeline(loadPayload(), node(), CONFIG, ['ramdisk_error', 'nope'])).toThrow('Unknown processing hook "nope"');
    expect(() => runPipeline(loadPayload(), node(), CONFIG, ['toString'])).toThrow('Unknown processing hook "toString"');
  });
});

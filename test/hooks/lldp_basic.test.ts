import { lldpBasicHook } from '../../activities/hooks/lldp_basic';
import { validateInterfacesHook } from '../../activities/hooks/validate_interfaces';
import { hex, makeCtx, makeData } from './helpers';

// The TLV decoding itself: test/common/lldp-tlv.test.ts.
describe('lldp_basic hook', () => {
  function run(interfaces: unknown[], extra: Record<string, unknown> = {}) {
    const ctx = makeCtx(makeData({ interfaces }, extra), { config: { addPorts: 'all' } });
    validateInterfacesHook.beforeProcessing!(ctx);
    lldpBasicHook.beforeUpdate!(ctx);
    return ctx.data.all_interfaces as Record<string, { lldp_processed?: unknown }>;
  }

  it('stores lldp_processed per interface', () => {
    const all = run([
      { name: 'eth0', mac_address: '52:54:00:00:00:01', lldp: [[1, '04641e81f41a20'], [2, '05' + hex('Ethernet1/7')]] },
      { name: 'eth1', mac_address: '52:54:00:00:00:02', lldp: [[3, '0078']] }, // nothing to record
      { name: 'eth2', mac_address: '52:54:00:00:00:03', lldp: null },
      { name: 'eth3', mac_address: 'bogus', lldp: [[5, hex('sw')]] }, // not in all_interfaces
    ]);
    expect(all.eth0.lldp_processed).toEqual({ switch_chassis_id: '64:1e:81:f4:1a:20', switch_port_id: 'Ethernet1/7' });
    expect(all.eth1).not.toHaveProperty('lldp_processed');
    expect(all.eth2).not.toHaveProperty('lldp_processed');
    expect(all).not.toHaveProperty('eth3');
  });

  it('reads the top-level lldp_raw first (current IPA), the inventory lldp otherwise', () => {
    const all = run(
      [
        { name: 'eth0', mac_address: '52:54:00:00:00:01', lldp: [[5, hex('from-inventory')]] },
        { name: 'eth1', mac_address: '52:54:00:00:00:02', lldp: [[5, hex('inventory-only')]] },
        { name: 'eth2', mac_address: '52:54:00:00:00:03', lldp: null },
        { name: 'eth3', mac_address: '52:54:00:00:00:04', lldp: null },
      ],
      {
        lldp_raw: {
          eth0: [[1, '04641e81f41a20'], [5, hex('from-raw')]],
          eth1: [], // empty: falls back, as ironic's `lldp_raw.get(name) or iface['lldp']`
          eth2: [[2, '07' + hex('42')]],
          ethX: [[5, hex('no such interface')]],
        },
      },
    );
    expect(all.eth0.lldp_processed).toEqual({ switch_chassis_id: '64:1e:81:f4:1a:20', switch_system_name: 'from-raw' });
    expect(all.eth1.lldp_processed).toEqual({ switch_system_name: 'inventory-only' });
    expect(all.eth2.lldp_processed).toEqual({ switch_port_id: '42' });
    expect(all.eth3).not.toHaveProperty('lldp_processed');
    expect(all).not.toHaveProperty('ethX');
  });

  it('skips malformed raw TLVs field by field and ignores a malformed lldp_raw', () => {
    const iface = { name: 'eth0', mac_address: '52:54:00:00:00:01', lldp: [[5, hex('inventory')]] };
    const bad = run([iface], { lldp_raw: { eth0: [[1, 'zz'], [2, '05' + 'ff'.repeat(600)], 'x', [5, hex('sw')]] } });
    expect(bad.eth0.lldp_processed).toEqual({ switch_system_name: 'sw' });
    for (const lldpRaw of ['nonsense', [[5, hex('x')]], { eth0: 'x' }, null]) {
      expect(run([iface], { lldp_raw: lldpRaw }).eth0.lldp_processed).toEqual({ switch_system_name: 'inventory' });
    }
  });
});

import { decodeChassisId, decodePortId, hexToBytes, parseLldpTlvs } from '../../activities/hooks/lldp';
import { lldpBasicHook } from '../../activities/hooks/lldp_basic';
import { validateInterfacesHook } from '../../activities/hooks/validate_interfaces';
import { hex, makeCtx, makeData } from './helpers';

const bytes = (h: string) => hexToBytes(h)!;

describe('LLDP decoding', () => {
  it('decodes a MAC-subtype chassis ID into a colon MAC', () => {
    expect(decodeChassisId(bytes('04641E81F41A20'))).toEqual({ subtype: 4, kind: 'mac', value: '64:1e:81:f4:1a:20' });
  });

  it('decodes an interface-name port ID into a string', () => {
    expect(decodePortId(bytes('05' + hex('Ethernet1/7')))).toEqual({ subtype: 5, kind: 'string', value: 'Ethernet1/7' });
  });

  it.each([
    ['chassis local (7)', decodeChassisId, '07' + hex('leaf-sw-01'), 'leaf-sw-01'],
    ['chassis ifName (6)', decodeChassisId, '06' + hex('mgmt0'), 'mgmt0'],
    ['chassis IPv4 address (5)', decodeChassisId, '0501c0a86402', '192.168.100.2'],
    ['port MAC (3)', decodePortId, '03b8599f0a0b0c', 'b8:59:9f:0a:0b:0c'],
    ['port local (7)', decodePortId, '07' + hex('513'), '513'],
    ['port ifAlias (1)', decodePortId, '01' + hex('uplink to compute-0'), 'uplink to compute-0'],
    ['port IPv6 address (4)', decodePortId, '0402' + '20010db8000000000000000000000001', '2001:db8::1'],
  ])('%s', (_label, decode, value, expected) => {
    expect(decode(bytes(value))?.value).toBe(expected);
  });

  it.each([
    ['MAC subtype with 5 bytes', '04641e81f41a'],
    ['unknown subtype', '09' + hex('x')],
    ['subtype only', '04'],
    ['invalid UTF-8', '07ff'],
  ])('rejects a chassis ID with %s', (_label, value) => {
    expect(decodeChassisId(bytes(value))).toBeNull();
  });

  it.each(['abc', 'zz', 42, null])('rejects non-hex %p', (value) => {
    expect(hexToBytes(value)).toBeNull();
  });
});

describe('parseLldpTlvs', () => {
  it('decodes the basic management and 802.1/802.3 TLVs', () => {
    const result = parseLldpTlvs([
      [1, '04641e81f41a20'],
      [2, '05' + hex('Ethernet1/7')],
      [3, '0078'],
      [4, hex('server-r3u12 eno1')],
      [5, hex('leaf-sw-01')],
      [6, hex('Cisco Nexus 9.3(8)')],
      [7, '00140014'],
      [8, '0501c0a86402020000000100'],
      [8, '1102' + '20010db8000000000000000000000002' + '020000000100'],
      [127, '0080c2' + '01' + '0064'],
      [127, '0080c2' + '03' + '0064' + '07' + hex('vlan100')],
      [127, '0080c2' + '03' + '00c8' + '07' + hex('vlan200')],
      [127, '0080c2' + '07' + '03' + '00000010'],
      [127, '00120f' + '04' + '2328'],
      [127, 'aabbcc' + '01' + '00'], // unknown OUI: ignored
      [0, ''],
    ]);
    expect(result).toEqual({
      switch_chassis_id: '64:1e:81:f4:1a:20',
      switch_port_id: 'Ethernet1/7',
      switch_port_description: 'server-r3u12 eno1',
      switch_system_name: 'leaf-sw-01',
      switch_system_description: 'Cisco Nexus 9.3(8)',
      switch_capabilities_support: ['Bridge', 'Router'],
      switch_capabilities_enabled: ['Bridge', 'Router'],
      switch_mgmt_addresses: ['192.168.100.2', '2001:db8::2'],
      switch_port_untagged_vlan_id: 100,
      switch_port_vlans: [
        { name: 'vlan100', id: 100 },
        { name: 'vlan200', id: 200 },
      ],
      switch_port_link_aggregation_enabled: true,
      switch_port_link_aggregation_support: true,
      switch_port_link_aggregation_id: 16,
      switch_port_mtu: 9000,
    });
  });

  it('keeps the first value of a repeated TLV and skips malformed ones', () => {
    expect(
      parseLldpTlvs([
        [5, 'zz'], // not hex
        [5, hex('first')],
        [5, hex('second')],
        [7, '0014'], // wrong length
        ['1', '04641e81f41a20'], // type not a number
        [1, '04641e81f41a'], // MAC too short
      ]),
    ).toEqual({ switch_system_name: 'first' });
  });
});

describe('lldp_basic hook', () => {
  function run(interfaces: unknown[]) {
    const ctx = makeCtx(makeData({ interfaces }), { config: { addPorts: 'all' } });
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
});

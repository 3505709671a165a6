import { IntrospectionDataSchema } from '../../common/inventory';
import {
  MAX_TLV_VALUE_BYTES,
  decodeChassisId,
  decodePortId,
  frameToTlvs,
  hexToBytes,
  parseLldpTlvs,
  tlvBytes,
} from '../../common/lldp-tlv';
import { describeZodError } from '../../common/validation';

const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');
const bytes = (h: string) => hexToBytes(h)!;

describe('hexToBytes', () => {
  it('reads upper and lower case hex', () => {
    expect(Array.from(bytes('0aFf'))).toEqual([10, 255]);
    expect(bytes('')).toHaveLength(0);
  });

  it.each([['abc'], ['zz'], ['0g'], [' 0a'], [42], [null], [undefined]])('rejects %p', (value) => {
    expect(hexToBytes(value)).toBeNull();
  });

  it('rejects more than a TLV can carry (511 bytes)', () => {
    expect(hexToBytes('00'.repeat(MAX_TLV_VALUE_BYTES))).toHaveLength(511);
    expect(hexToBytes('00'.repeat(MAX_TLV_VALUE_BYTES + 1))).toBeNull();
    expect(hexToBytes('0'.repeat(10_000_001))).toBeNull();
  });
});

describe('chassis and port IDs', () => {
  it('decodes a MAC-subtype chassis ID into a colon MAC', () => {
    expect(decodeChassisId(bytes('04641E81F41A20'))).toEqual({ subtype: 4, kind: 'mac', value: '64:1e:81:f4:1a:20' });
  });

  it('decodes an interface-name port ID into a string', () => {
    expect(decodePortId(bytes('05' + hex('Ethernet1/7')))).toEqual({ subtype: 5, kind: 'string', value: 'Ethernet1/7' });
  });

  it.each([
    ['chassis component (1)', decodeChassisId, '01' + hex('chassis-1'), 'chassis-1'],
    ['chassis port component (3)', decodeChassisId, '03' + hex('slot 2'), 'slot 2'],
    ['chassis local (7)', decodeChassisId, '07' + hex('leaf-sw-01'), 'leaf-sw-01'],
    ['chassis ifName (6)', decodeChassisId, '06' + hex('mgmt0'), 'mgmt0'],
    ['chassis IPv4 address (5)', decodeChassisId, '0501c0a86402', '192.168.100.2'],
    ['chassis MAC address family (5/6)', decodeChassisId, '0506aabbccddeeff', 'aa:bb:cc:dd:ee:ff'],
    ['port MAC (3)', decodePortId, '03b8599f0a0b0c', 'b8:59:9f:0a:0b:0c'],
    ['port local (7)', decodePortId, '07' + hex('513'), '513'],
    ['port ifAlias (1)', decodePortId, '01' + hex('uplink to compute-0'), 'uplink to compute-0'],
    ['port component (2)', decodePortId, '02' + hex('port 4'), 'port 4'],
    ['port IPv4 address (4)', decodePortId, '04010a000001', '10.0.0.1'],
    ['port IPv6 address (4)', decodePortId, '0402' + '20010db8000000000000000000000001', '2001:db8::1'],
    ['port IPv6 without a zero run', decodePortId, '0402' + '20010db8000100020003000400050006', '2001:db8:1:2:3:4:5:6'],
    ['NUL padded string', decodePortId, '05' + hex('Gi0/1') + '0000', 'Gi0/1'],
  ])('%s', (_label, decode, value, expected) => {
    expect(decode(bytes(value))?.value).toBe(expected);
  });

  it.each([
    ['MAC subtype with 5 bytes', '04641e81f41a'],
    ['MAC subtype with 7 bytes', '04641e81f41a2021'],
    ['unknown subtype', '09' + hex('x')],
    ['subtype only', '04'],
    ['invalid UTF-8', '07ff'],
    ['address of an unknown family', '0503' + '0a000001'],
    ['short IPv4 address', '05010a00'],
  ])('rejects a chassis ID with %s', (_label, value) => {
    expect(decodeChassisId(bytes(value))).toBeNull();
  });

  it('rejects the agent circuit ID port subtype (6), as ironic-inspector', () => {
    expect(decodePortId(bytes('06' + hex('circuit')))).toBeNull();
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
      [127, '0080c2' + '02' + '06' + '00c8'],
      [127, '0080c2' + '02' + '02' + '012c'],
      [127, '0080c2' + '03' + '0064' + '07' + hex('vlan100')],
      [127, '0080c2' + '03' + '00c8' + '07' + hex('vlan200')],
      [127, '0080c2' + '04' + '02' + '88cc'],
      [127, '0080c2' + '06' + '000a'],
      [127, '0080c2' + '07' + '03' + '00000010'],
      [127, '00120f' + '01' + '03' + '6c01' + '001e'],
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
      switch_port_protocol_vlan_enabled: true,
      switch_port_protocol_vlan_support: true,
      switch_port_protocol_vlan_ids: [200, 300],
      switch_port_vlans: [
        { name: 'vlan100', id: 100 },
        { name: 'vlan200', id: 200 },
      ],
      switch_protocol_identities: ['88cc'],
      switch_port_management_vlan_id: 10,
      switch_port_link_aggregation_enabled: true,
      switch_port_link_aggregation_support: true,
      switch_port_link_aggregation_id: 16,
      switch_port_autonegotiation_enabled: true,
      switch_port_autonegotiation_support: true,
      // 0x6c01: 10BASE-T hdx/fdx, 100BASE-TX hdx/fdx, 1000BASE-T fdx
      switch_port_physical_capabilities: ['1000BASE-T fdx', '100BASE-TX fdx', '100BASE-TX hdx', '10BASE-T fdx', '10BASE-T hdx'],
      switch_port_mau_type: '1000BASE-T full duplex',
      switch_port_mtu: 9000,
    });
  });

  it('keeps the first value of a repeated TLV and skips malformed ones field by field', () => {
    expect(
      parseLldpTlvs([
        [5, 'zz'], // not hex
        [5, hex('first')],
        [5, hex('second')],
        [7, '0014'], // wrong length
        ['1', '04641e81f41a20'], // type not a number
        [1.5, '04641e81f41a20'], // type not an integer
        [128, '04641e81f41a20'], // type out of range
        [1, '04641e81f41a'], // MAC too short
        [2, '05' + '00'.repeat(600)], // longer than a TLV can be
        [127, '00120f' + '01' + '03' + '6c01' + '0036'], // MAU type 54 unknown: the whole TLV is skipped
        [127, '00120f' + '01' + '03' + '6c01'], // MAC/PHY too short
        [127, '0080c2' + '03' + '0064' + '09' + hex('vlan')], // VLAN name longer than the TLV
        [127, '0080c2' + '07' + '03'], // link aggregation too short
        [127, '0080'], // org TLV too short
        [8, '0501'], // management address too short
        [42, '00'], // unknown TLV type
        'garbage',
        null,
      ]),
    ).toEqual({ switch_system_name: 'first' });
  });

  it('returns nothing for input that is not a list', () => {
    expect(parseLldpTlvs(null)).toEqual({});
    expect(parseLldpTlvs({ 1: 'x' })).toEqual({});
  });

  it('tlvBytes checks the pair shape', () => {
    expect(tlvBytes([5, '61'])).toEqual({ type: 5, data: Uint8Array.from([0x61]) });
    expect(tlvBytes([5, '61', 'extra'])).toBeNull();
    expect(tlvBytes([-1, '61'])).toBeNull();
  });
});

describe('frameToTlvs', () => {
  const frameBytes = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
  const header = '0180c200000e' + '641e81f41a20' + '88cc';
  const tlv = (type: number, value: string) => ((type << 9) | (value.length / 2)).toString(16).padStart(4, '0') + value;

  it('splits an LLDPDU into [type, hex] up to the End TLV', () => {
    const frame = header + tlv(1, '04641e81f41a20') + tlv(2, '05' + hex('Ethernet1/7')) + tlv(3, '0078') + tlv(0, '') + '00'.repeat(8);
    expect(frameToTlvs(frameBytes(frame))).toEqual([
      [1, '04641e81f41a20'],
      [2, '05' + hex('Ethernet1/7')],
      [3, '0078'],
      [0, ''],
    ]);
  });

  it('reads a 511-byte TLV (the 9-bit length)', () => {
    const long = 'ab'.repeat(511);
    expect(frameToTlvs(frameBytes(header + tlv(6, long)))).toEqual([[6, long]]);
  });

  it.each([
    ['another ethertype', '0180c200000e641e81f41a200800' + tlv(1, '04641e81f41a20')],
    ['a short frame', '0180c200000e641e81f41a2088'],
    ['a TLV running past the end', header + '0207' + '0464'],
  ])('rejects %s', (_label, frame) => {
    expect(frameToTlvs(frameBytes(frame))).toBeNull();
  });
});

describe('the payload schema', () => {
  const payload = (extra: Record<string, unknown>, lldp: unknown = null) => ({
    inventory: { interfaces: [{ name: 'eth0', lldp }], cpu: { count: 1, architecture: 'x86_64' }, memory: {} },
    ...extra,
  });
  const problems = (input: unknown) => {
    const parsed = IntrospectionDataSchema.safeParse(input);
    return parsed.success ? null : describeZodError(parsed.error);
  };

  it('accepts lldp_raw as IPA sends it, and a malformed hex string (skipped later, field by field)', () => {
    expect(problems(payload({ lldp_raw: { eth0: [[1, '04641e81f41a20'], [5, 'zz']], eth1: [] } }))).toBeNull();
    expect(problems(payload({ lldp_raw: null }))).toBeNull();
    expect(problems(payload({}))).toBeNull();
  });

  it.each([
    ['a value longer than a TLV', { lldp_raw: { eth0: [[6, 'ab'.repeat(512)]] } }, /^lldp_raw\.eth0\.0\.1: /],
    ['too many TLVs', { lldp_raw: { eth0: Array.from({ length: 1025 }, () => [0, '']) } }, /^lldp_raw\.eth0: /],
    ['a type above 127', { lldp_raw: { eth0: [[128, '']] } }, /^lldp_raw\.eth0\.0\.0: /],
    ['not a pair', { lldp_raw: { eth0: [[1]] } }, /^lldp_raw\.eth0\.0/],
    ['not a map', { lldp_raw: [[1, '00']] }, /^lldp_raw: /],
    ['too many interfaces', { lldp_raw: Object.fromEntries(Array.from({ length: 1025 }, (_, i) => [`eth${i}`, []])) }, /^lldp_raw: at most 1024/],
  ])('rejects %s, naming the field', (_label, extra, message) => {
    expect(problems(payload(extra))).toMatch(message);
  });

  it('bounds the inventory interfaces\' lldp the same way', () => {
    expect(problems(payload({}, [[6, 'ab'.repeat(512)]]))).toMatch(/^inventory\.interfaces\.0\.lldp\.0\.1: /);
  });
});

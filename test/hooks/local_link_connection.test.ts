import { lldpBasicHook } from '../../activities/hooks/lldp_basic';
import { localLinkConnectionHook } from '../../activities/hooks/local_link_connection';
import { validateInterfacesHook } from '../../activities/hooks/validate_interfaces';
import type { PortSpec, ProcessingConfig } from '../../activities/hooks/types';
import { hex, makeCtx, makeData } from './helpers';

const LLDP_ETH0 = [
  [1, '04641e81f41a20'],
  [2, '05' + hex('Ethernet1/7')],
  [5, hex('leaf-sw-01')],
];
const IFACES = [
  { name: 'eth0', mac_address: '52:54:00:00:00:01', ipv4_address: '10.0.0.5', lldp: LLDP_ETH0 },
  { name: 'eth1', mac_address: '52:54:00:00:00:02', ipv4_address: null, lldp: [[1, '07' + hex('sw2')], [2, '03aabbccddeeff']] },
  { name: 'eth2', mac_address: '52:54:00:00:00:03', ipv4_address: null, lldp: null },
];

function run(
  opts: { config?: Partial<ProcessingConfig>; ports?: PortSpec[]; withBasic?: boolean; interfaces?: unknown[]; lldpRaw?: unknown } = {},
) {
  const extra = { boot_interface: '52:54:00:00:00:01', ...(opts.lldpRaw === undefined ? {} : { lldp_raw: opts.lldpRaw }) };
  const ctx = makeCtx(makeData({ interfaces: opts.interfaces ?? IFACES }, extra), {
    config: { addPorts: 'all', ...opts.config },
    node: { ports: opts.ports ?? [] },
  });
  validateInterfacesHook.beforeProcessing!(ctx);
  validateInterfacesHook.beforeUpdate!(ctx);
  if (opts.withBasic !== false) lldpBasicHook.beforeUpdate!(ctx);
  localLinkConnectionHook.beforeUpdate!(ctx);
  return ctx;
}

describe('local_link_connection', () => {
  it.each([true, false])('sets switch_id, port_id and switch_info (lldp_basic ran: %p)', (withBasic) => {
    const ctx = run({ withBasic });
    expect(ctx.patch.ports).toEqual([
      {
        address: '52:54:00:00:00:01',
        pxe_enabled: true,
        local_link_connection: { switch_id: '64:1e:81:f4:1a:20', port_id: 'Ethernet1/7', switch_info: 'leaf-sw-01' },
      },
      // chassis ID not a MAC: no switch_id; a MAC port ID is kept as such
      { address: '52:54:00:00:00:02', pxe_enabled: false, local_link_connection: { port_id: 'aa:bb:cc:dd:ee:ff' } },
      { address: '52:54:00:00:00:03', pxe_enabled: false },
    ]);
  });

  it('updates an existing port not being added, merging its connection info', () => {
    const ports = [{ address: '52:54:00:00:00:01', pxe_enabled: true, local_link_connection: { switch_id: '00:00:00:00:00:99', port_id: 'old', extra: 'x' } }];
    const ctx = run({ config: { addPorts: 'disabled' }, ports });
    expect(ctx.patch.ports).toEqual([
      {
        address: '52:54:00:00:00:01',
        pxe_enabled: true,
        local_link_connection: { switch_id: '64:1e:81:f4:1a:20', port_id: 'Ethernet1/7', switch_info: 'leaf-sw-01', extra: 'x' },
      },
    ]);
  });

  it('adds an update entry for an existing port of an interface not added', () => {
    const ports = [{ address: '52:54:00:00:00:02', pxe_enabled: true }];
    const ctx = run({ config: { addPorts: 'pxe' }, ports });
    expect(ctx.patch.ports.map((p) => [p.address, p.pxe_enabled, p.local_link_connection])).toEqual([
      ['52:54:00:00:00:01', true, { switch_id: '64:1e:81:f4:1a:20', port_id: 'Ethernet1/7', switch_info: 'leaf-sw-01' }],
      ['52:54:00:00:00:02', true, { port_id: 'aa:bb:cc:dd:ee:ff' }],
    ]);
  });

  it('leaves ports being removed and interfaces without a port alone', () => {
    const ports = [{ address: '52:54:00:00:00:02', pxe_enabled: false }];
    const ctx = run({ config: { addPorts: 'pxe', keepPorts: 'added' }, ports });
    expect(ctx.patch.removePorts).toEqual(['52:54:00:00:00:02']);
    expect(ctx.patch.ports.map((p) => p.address)).toEqual(['52:54:00:00:00:01']);
  });

  it('sets nothing when the LLDP data gives neither switch nor port', () => {
    const interfaces = [{ name: 'eth0', mac_address: '52:54:00:00:00:01', ipv4_address: '10.0.0.5', lldp: [[3, '0078']] }];
    expect(run({ interfaces }).patch.ports).toEqual([{ address: '52:54:00:00:00:01', pxe_enabled: true }]);
  });

  it('reads the top-level lldp_raw first (current IPA), the inventory lldp otherwise', () => {
    const interfaces = IFACES.map((i) => ({ ...i, lldp: i.name === 'eth1' ? i.lldp : null }));
    const lldpRaw = {
      eth0: [[1, '04aabbccddeeff'], [2, '03' + '001122334455'], [5, hex('spine-2')]],
      eth1: [], // empty: the inventory's TLVs are used
      eth2: [[1, '0501c0a80001'], [2, '0401c0a80002']], // chassis by IP: no switch_id; port by IP: its address
    };
    const ctx = run({ interfaces, lldpRaw, withBasic: false });
    expect(ctx.patch.ports.map((p) => [p.address, p.local_link_connection])).toEqual([
      ['52:54:00:00:00:01', { switch_id: 'aa:bb:cc:dd:ee:ff', port_id: '00:11:22:33:44:55', switch_info: 'spine-2' }],
      ['52:54:00:00:00:02', { port_id: 'aa:bb:cc:dd:ee:ff' }],
      ['52:54:00:00:00:03', { port_id: '192.168.0.2' }],
    ]);
  });

  it('skips malformed TLVs and keeps the first valid one of each kind', () => {
    const interfaces = [{ name: 'eth0', mac_address: '52:54:00:00:00:01', ipv4_address: '10.0.0.5', lldp: null }];
    const lldpRaw = { eth0: [[1, '04aabb'], [1, 'not hex'], [1, '04aabbccddeeff'], [1, '04000000000001'], [2, '09ff'], [2, '07' + hex('p1')], 'x'] };
    expect(run({ interfaces, lldpRaw }).patch.ports[0].local_link_connection).toEqual({ switch_id: 'aa:bb:cc:dd:ee:ff', port_id: 'p1' });
  });
});

import { physnetCidrMapHook } from '../../activities/hooks/physnet_cidr_map';
import { validateInterfacesHook } from '../../activities/hooks/validate_interfaces';
import type { PortSpec, ProcessingConfig } from '../../activities/hooks/types';
import { makeCtx, makeData } from './helpers';

const MAP: ProcessingConfig['physnetCidrMap'] = [
  { cidr: '10.10.10.0/24', physnet: 'physnet_a' },
  { cidr: '10.10.0.0/16', physnet: 'physnet_wide' },
  { cidr: '2001:db8::/64', physnet: 'physnet_b' },
];
const IFACES = [
  { name: 'eth0', mac_address: '52:54:00:00:00:01', ipv4_address: '10.10.10.5' },
  { name: 'eth1', mac_address: '52:54:00:00:00:02', ipv4_address: '10.10.20.5' },
  { name: 'eth2', mac_address: '52:54:00:00:00:03', ipv4_address: null, ipv6_address: '2001:db8::7%eth2' },
  { name: 'eth3', mac_address: '52:54:00:00:00:04', ipv4_address: '192.168.1.5', ipv6_address: '2001:db8::8' },
  { name: 'eth4', mac_address: '52:54:00:00:00:05', ipv4_address: '172.16.0.1' },
];

function run(opts: { config?: Partial<ProcessingConfig>; ports?: PortSpec[]; interfaces?: unknown[] } = {}) {
  const ctx = makeCtx(makeData({ interfaces: opts.interfaces ?? IFACES }, { boot_interface: '52:54:00:00:00:01' }), {
    config: { addPorts: 'all', physnetCidrMap: MAP, ...opts.config },
    node: { ports: opts.ports ?? [] },
  });
  validateInterfacesHook.beforeProcessing!(ctx);
  validateInterfacesHook.beforeUpdate!(ctx);
  physnetCidrMapHook.beforeUpdate!(ctx);
  return ctx;
}

const physnets = (ports: PortSpec[]) => ports.map((p) => [p.address, p.physical_network]);

describe('physnet_cidr_map', () => {
  it('sets each new port’s physical network from the first CIDR holding its IP, IPv4 then IPv6', () => {
    expect(physnets(run().patch.ports)).toEqual([
      ['52:54:00:00:00:01', 'physnet_a'], // in both /24 and /16: the first entry wins
      ['52:54:00:00:00:02', 'physnet_wide'],
      ['52:54:00:00:00:03', 'physnet_b'], // zone id ignored
      ['52:54:00:00:00:04', 'physnet_b'], // IPv4 outside every CIDR, IPv6 inside
      ['52:54:00:00:00:05', undefined],
    ]);
  });

  it('does nothing without a map', () => {
    expect(run({ config: { physnetCidrMap: [] } }).patch.ports.every((p) => p.physical_network === undefined)).toBe(true);
  });

  it('updates a port the node has but the pipeline does not add, keeping its pxe_enabled', () => {
    const ports = [{ address: '52:54:00:00:00:02', pxe_enabled: true, physical_network: 'old' }];
    const ctx = run({ config: { addPorts: 'pxe' }, ports });
    expect(ctx.patch.ports).toEqual([
      { address: '52:54:00:00:00:01', pxe_enabled: true, physical_network: 'physnet_a' },
      { address: '52:54:00:00:00:02', pxe_enabled: true, physical_network: 'physnet_wide' },
    ]);
  });

  it('leaves alone a port already on that network, one being removed, and interfaces without a port', () => {
    const ports = [
      { address: '52:54:00:00:00:02', pxe_enabled: false, physical_network: 'physnet_wide' },
      { address: '52:54:00:00:00:03', pxe_enabled: false },
    ];
    const ctx = run({ config: { addPorts: 'pxe', keepPorts: 'added' }, ports });
    expect(ctx.patch.removePorts).toEqual(['52:54:00:00:00:02', '52:54:00:00:00:03']);
    expect(physnets(ctx.patch.ports)).toEqual([['52:54:00:00:00:01', 'physnet_a']]);

    const kept = run({ config: { addPorts: 'pxe' }, ports: [ports[0]] });
    expect(physnets(kept.patch.ports)).toEqual([['52:54:00:00:00:01', 'physnet_a']]);
  });

  it('only looks at interfaces validate_interfaces kept (a loopback-free all_interfaces)', () => {
    const interfaces = [...IFACES.slice(0, 1), { name: 'bad', mac_address: 'not-a-mac', ipv4_address: '10.10.10.9' }];
    expect(physnets(run({ interfaces }).patch.ports)).toEqual([['52:54:00:00:00:01', 'physnet_a']]);
  });
});

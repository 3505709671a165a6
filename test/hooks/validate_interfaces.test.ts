import { getPxeMac, validateInterfacesHook } from '../../activities/hooks/validate_interfaces';
import { HookError, type HookContext, type PortSpec, type ProcessingConfig } from '../../activities/hooks/types';
import { makeCtx, makeData } from './helpers';

const IFACES = [
  { name: 'eno1', mac_address: '52:54:00:AB:CD:01', ipv4_address: '10.0.0.11' }, // PXE
  { name: 'eno2', mac_address: '52-54-00-ab-cd-02', ipv4_address: null, ipv6_address: 'fe80::1%eno2' },
  { name: 'eno3', mac_address: '5254.00ab.cd03', ipv4_address: null }, // no IP
  { name: 'ib0', mac_address: 'a0:36:9f:00:00:04:00:00', ipv4_address: '10.9.0.4' }, // invalid (8 octets)
  { name: 'bond0', mac_address: null, ipv4_address: '10.8.0.1' }, // no link information
  { name: 'lo', mac_address: '00:00:00:00:00:00', ipv4_address: '127.0.0.1' },
];

function run(
  config: Partial<ProcessingConfig> = {},
  opts: { interfaces?: unknown[]; extra?: Record<string, unknown>; ports?: PortSpec[]; boot?: unknown } = {},
): HookContext {
  const ctx = makeCtx(
    makeData(
      { interfaces: opts.interfaces ?? IFACES, ...(opts.boot === undefined ? {} : { boot: opts.boot }) },
      opts.extra ?? { boot_interface: '01-52-54-00-ab-cd-01' },
    ),
    { config, node: { ports: opts.ports ?? [] } },
  );
  validateInterfacesHook.beforeProcessing!(ctx);
  validateInterfacesHook.beforeUpdate!(ctx);
  return ctx;
}

const port = (address: string, pxe_enabled = false): PortSpec => ({ address, pxe_enabled });

describe('validate_interfaces: all_interfaces', () => {
  it('normalizes MACs, drops invalid/missing ones and records ip, client_id, pxe', () => {
    const ctx = run({ addPorts: 'all' });
    expect(ctx.data.all_interfaces).toEqual({
      eno1: { ip: '10.0.0.11', mac: '52:54:00:ab:cd:01', client_id: null, pxe: true },
      eno2: { ip: 'fe80::1', mac: '52:54:00:ab:cd:02', client_id: null, pxe: false },
      eno3: { ip: null, mac: '52:54:00:ab:cd:03', client_id: null, pxe: false },
      lo: { ip: '127.0.0.1', mac: '00:00:00:00:00:00', client_id: null, pxe: false },
    });
  });

  it('copies the BMC addresses for lookup, ignoring unset markers', () => {
    const ctx = makeCtx(makeData({ bmc_address: '192.168.1.5', bmc_v6address: '::/0' }));
    validateInterfacesHook.beforeProcessing!(ctx);
    expect(ctx.data.ipmi_address).toBe('192.168.1.5');
    expect(ctx.data.ipmi_v6address).toBeNull();
  });

  it('fails when no interface has a valid MAC', () => {
    const interfaces = [IFACES[3], IFACES[4]];
    expect(() => run({}, { interfaces })).toThrow(HookError);
    expect(() => run({}, { interfaces })).toThrow('No interfaces with a valid MAC address');
  });

  it('fails when no interface is eligible', () => {
    const interfaces = [IFACES[2], IFACES[5]]; // no IP, loopback
    expect(() => run({ addPorts: 'active' }, { interfaces })).toThrow('No suitable interfaces found (add_ports=active)');
  });
});

describe('validate_interfaces: add_ports', () => {
  it('all: every interface with a valid MAC except loopback', () => {
    const ctx = run({ addPorts: 'all' });
    expect(Object.keys(ctx.data.interfaces as object)).toEqual(['eno1', 'eno2', 'eno3']);
    expect(ctx.data.macs).toEqual(['52:54:00:ab:cd:01', '52:54:00:ab:cd:02', '52:54:00:ab:cd:03']);
    expect(ctx.patch.ports).toEqual([
      port('52:54:00:ab:cd:01', true),
      port('52:54:00:ab:cd:02'),
      port('52:54:00:ab:cd:03'),
    ]);
  });

  it('active: only interfaces with an IP (v4 or v6)', () => {
    const ctx = run({ addPorts: 'active' });
    expect(ctx.data.macs).toEqual(['52:54:00:ab:cd:01', '52:54:00:ab:cd:02']);
    expect(ctx.patch.ports).toEqual([port('52:54:00:ab:cd:01', true), port('52:54:00:ab:cd:02')]);
  });

  it('pxe: only the PXE interface', () => {
    const ctx = run({ addPorts: 'pxe' });
    expect(ctx.data.interfaces).toEqual({ eno1: { ip: '10.0.0.11', mac: '52:54:00:ab:cd:01', client_id: null, pxe: true } });
    expect(ctx.patch.ports).toEqual([port('52:54:00:ab:cd:01', true)]);
  });

  it('pxe: without a known PXE MAC falls back to interfaces with an IP, none marked PXE', () => {
    const ctx = run({ addPorts: 'pxe' }, { extra: {} });
    expect(ctx.data.macs).toEqual(['52:54:00:ab:cd:01', '52:54:00:ab:cd:02']);
    expect(ctx.patch.ports.every((p) => !p.pxe_enabled)).toBe(true);
  });

  it('disabled: creates no port, but updates pxe_enabled of ports the node has', () => {
    const ctx = run({ addPorts: 'disabled' }, { ports: [port('52:54:00:ab:cd:02', true)] });
    expect(ctx.data.macs).toEqual(['52:54:00:ab:cd:01', '52:54:00:ab:cd:02']);
    expect(ctx.patch.ports).toEqual([port('52:54:00:ab:cd:02', false)]);
  });

  it('disabled with keep_ports=added is a configuration error', () => {
    expect(() => run({ addPorts: 'disabled', keepPorts: 'added' })).toThrow('Configuration error');
  });
});

describe('validate_interfaces: the PXE interface', () => {
  const pxeOf = (extra: Record<string, unknown>, boot?: unknown, interfaces: unknown[] = IFACES) => {
    const data = makeData({ interfaces, ...(boot ? { boot } : {}) }, extra);
    return getPxeMac(data, data.inventory);
  };

  it.each([
    [{ boot_interface: '01-52-54-00-ab-cd-02' }, undefined, '52:54:00:ab:cd:02'],
    [{ boot_interface: '52:54:00:AB:CD:03' }, undefined, '52:54:00:ab:cd:03'],
    [{ boot_interface: 'eno2' }, undefined, '52:54:00:ab:cd:02'],
    [{}, { current_boot_mode: 'uefi', pxe_interface: '52:54:00:ab:cd:03' }, '52:54:00:ab:cd:03'],
    [{}, undefined, null],
  ])('%j / boot %j → %s', (extra, boot, mac) => {
    expect(pxeOf(extra, boot)).toBe(mac);
  });

  it('uses the interface the agent flagged pxe_enabled', () => {
    const interfaces = [IFACES[0], { ...IFACES[2], pxe_enabled: true }];
    expect(pxeOf({}, undefined, interfaces)).toBe('52:54:00:ab:cd:03');
    const ctx = run({ addPorts: 'pxe' }, { interfaces, extra: {} });
    expect(ctx.patch.ports).toEqual([port('52:54:00:ab:cd:03', true)]);
  });
});

describe('validate_interfaces: keep_ports', () => {
  const existing = [
    port('52:54:00:ab:cd:01', true), // PXE, added again
    port('52:54:00:ab:cd:03'), // in inventory, not added with add_ports=pxe
    port('de:ad:be:ef:00:01'), // not in inventory any more
  ];

  it('all: removes nothing', () => {
    expect(run({ keepPorts: 'all' }, { ports: existing }).patch.removePorts).toEqual([]);
  });

  it('present: removes ports whose MAC is not in the inventory', () => {
    expect(run({ keepPorts: 'present' }, { ports: existing }).patch.removePorts).toEqual(['de:ad:be:ef:00:01']);
  });

  it('added: removes ports not among the added interfaces', () => {
    const ctx = run({ keepPorts: 'added' }, { ports: existing });
    expect(ctx.patch.removePorts).toEqual(['52:54:00:ab:cd:03', 'de:ad:be:ef:00:01']);
    expect(ctx.patch.ports).toEqual([port('52:54:00:ab:cd:01', true)]);
  });
});

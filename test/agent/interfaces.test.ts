// Interfaces as IPA reports them: PCI address and driver, Mellanox InfiniBand MAC and
// client id, and stacked links (a veth) told apart by the kernel's link kind.

import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { createContext, type ContextOptions } from '../../agent/context';
import { infinibandIdentity, isReportable, linkKinds, listInterfaces } from '../../agent/hw/interfaces';
import type { Exec } from '../../agent/sys';
import { makeTree, removeTree } from './helpers';

const run = promisify(execFile);
const IB_ADDRESS = 'a0:00:00:27:fe:80:00:00:00:00:00:00:7c:fe:90:03:00:29:26:52';

let root: string;
beforeAll(async () => {
  root = await makeTree({
    'sys/devices/pci0000:00/0000:00:03.0/virtio2/net/eth0': { dir: true },
    'sys/bus/virtio/drivers/virtio_net': { dir: true },
    'sys/devices/pci0000:00/0000:00:03.0/virtio2/driver': { link: '../../../../bus/virtio/drivers/virtio_net' },
    'sys/class/net/eth0/type': '1\n',
    'sys/class/net/eth0/address': '52:54:00:12:34:56\n',
    'sys/class/net/eth0/device': { link: '../../../devices/pci0000:00/0000:00:03.0/virtio2' },
    'sys/devices/pci0000:00/0000:3b:00.0/vendor': '0x8086\n',
    'sys/devices/pci0000:00/0000:3b:00.0/device': '0x1572\n',
    'sys/bus/pci/drivers/i40e': { dir: true },
    'sys/devices/pci0000:00/0000:3b:00.0/driver': { link: '../../../bus/pci/drivers/i40e' },
    'sys/class/net/eno1/type': '1\n',
    'sys/class/net/eno1/address': 'aa:bb:cc:dd:ee:01\n',
    'sys/class/net/eno1/device': { link: '../../../devices/pci0000:00/0000:3b:00.0' },
    'sys/devices/pci0000:00/0000:5e:00.0/vendor': '0x15b3\n',
    'sys/devices/pci0000:00/0000:5e:00.0/device': '0x1017\n',
    'sys/class/net/ib0/type': '32\n',
    'sys/class/net/ib0/address': `${IB_ADDRESS}\n`,
    'sys/class/net/ib0/device': { link: '../../../devices/pci0000:00/0000:5e:00.0' },
    // both ends of this veth are link 2: its peer lives in another namespace
    'sys/class/net/veth0/type': '1\n',
    'sys/class/net/veth0/address': '02:00:00:00:00:05\n',
    'sys/class/net/veth0/ifindex': '2\n',
    'sys/class/net/veth0/iflink': '2\n',
    'sys/class/net/ifb0/type': '1\n',
    'sys/class/net/ifb0/address': '5a:11:22:33:44:55\n',
    'sys/class/net/ifb0/ifindex': '3\n',
    'sys/class/net/ifb0/iflink': '3\n',
  });
});
afterAll(() => removeTree(root));

/** `ip -details -json link show` as iproute2 prints it (trimmed to what matters). */
const IP_LINKS = JSON.stringify([
  { ifindex: 1, ifname: 'lo', link_type: 'loopback' },
  { ifindex: 2, link_index: 2, ifname: 'veth0', link_netnsid: 0, linkinfo: { info_kind: 'veth' } },
  { ifindex: 3, ifname: 'ifb0', linkinfo: { info_kind: 'ifb' } },
  { ifindex: 4, ifname: 'eno1' },
]);

function ctxWithIp(stdout: string, code = 0, extra: ContextOptions = {}) {
  const calls: string[][] = [];
  const exec: Exec = async (command, args, options) => {
    calls.push([command, ...args, String(options?.timeoutMs)]);
    return { code, stdout, stderr: '' };
  };
  const ctx = createContext({ root, exec, which: async (c) => (c === 'ip' ? '/usr/sbin/ip' : null), ...extra });
  return { ctx, calls };
}

describe('interfaces', () => {
  test('PCI address and driver; a NIC below a virtio device gets its PCI function', async () => {
    const { ctx } = ctxWithIp(IP_LINKS);
    const ifaces = await listInterfaces(ctx);
    expect(ifaces.map((i) => [i.name, i.pci_address, i.driver])).toEqual([
      ['eno1', '0000:3b:00.0', 'i40e'],
      ['eth0', '0000:00:03.0', 'virtio_net'],
      ['ib0', '0000:5e:00.0', null],
      ['veth0', null, null],
    ]);
  });

  test('Mellanox InfiniBand: MAC from the port GUID, RFC 4390 client id', async () => {
    const { ctx } = ctxWithIp(IP_LINKS, 0, { bootif: '7c:fe:90:29:26:52' });
    const ib = (await listInterfaces(ctx)).find((i) => i.name === 'ib0')!;
    expect(ib).toMatchObject({
      mac_address: '7c:fe:90:29:26:52',
      client_id: 'ff:00:00:00:00:00:02:00:00:02:c9:00:7c:fe:90:03:00:29:26:52',
      vendor: '0x15b3',
      pxe_enabled: true,
    });
    // only Mellanox ports, only full IPoIB addresses (as IPA's Mellanox hardware manager)
    expect(infinibandIdentity(IB_ADDRESS, '0x8086')).toBeNull();
    expect(infinibandIdentity('aa:bb:cc:dd:ee:ff', '0x15b3')).toBeNull();
  });

  test('a veth whose both ends are link 2 is reported, by its kind; ifb is not', async () => {
    const { ctx, calls } = ctxWithIp(IP_LINKS);
    expect((await listInterfaces(ctx)).map((i) => i.name)).toContain('veth0');
    expect(calls).toEqual([['/usr/sbin/ip', '-details', '-json', 'link', 'show', '5000']]);
    const kinds = await linkKinds(ctx);
    expect(kinds).toEqual(new Map([['veth0', 'veth'], ['ifb0', 'ifb']]));
    expect(await isReportable(path.join(root, 'sys/class/net/ifb0'), 'ifb0', 'ifb')).toBe(false);
    // without the kind, ifindex == iflink cannot tell this veth from an ifb
    expect(await isReportable(path.join(root, 'sys/class/net/veth0'), 'veth0')).toBe(false);
  });

  test.each([
    ['ip fails', '', 1],
    ['ip without -json (busybox)', 'Usage: ip [OPTIONS]', 0],
  ])('%s: the iflink guess is used', async (_, stdout, code) => {
    const { ctx } = ctxWithIp(stdout, code);
    expect(await linkKinds(ctx)).toEqual(new Map());
    expect((await listInterfaces(ctx)).map((i) => i.name)).toEqual(['eno1', 'eth0', 'ib0']);
  });
});

// The real thing: two fresh namespaces, a veth between them (each end is link 2 there),
// and the agent's interface listing run inside one of them.
describe('veth between two fresh namespaces', () => {
  const ns = [`h93agent${process.pid}a`, `h93agent${process.pid}b`];
  const ip = (...args: string[]) => run('ip', args);

  beforeAll(async () => {
    for (const name of ns) await ip('netns', 'add', name);
    await ip('link', 'add', 'nodeif', 'netns', ns[0], 'type', 'veth', 'peer', 'name', 'hostif', 'netns', ns[1]);
  });
  afterAll(async () => {
    for (const name of ns) await ip('netns', 'del', name).catch(() => undefined);
  });

  test('is listed, with its MAC', async () => {
    const link = JSON.parse((await ip('-n', ns[0], '-json', 'link', 'show', 'nodeif')).stdout)[0];
    const peer = JSON.parse((await ip('-n', ns[1], '-json', 'link', 'show', 'hostif')).stdout)[0];
    expect([link.ifindex, peer.ifindex]).toEqual([2, 2]);
    const script = `import { listInterfaces } from ${JSON.stringify(path.resolve(__dirname, '../../agent/hw/interfaces'))};
import { createContext } from ${JSON.stringify(path.resolve(__dirname, '../../agent/context'))};
listInterfaces(createContext({ useSysteminformation: false })).then((l) => process.stdout.write(JSON.stringify(l)));`;
    const tsx = path.resolve(__dirname, '../../node_modules/.bin/tsx');
    const { stdout } = await run('ip', ['netns', 'exec', ns[0], tsx, '-e', script], { timeout: 60000 });
    const listed = JSON.parse(stdout) as { name: string; mac_address: string }[];
    expect(listed).toEqual([expect.objectContaining({ name: 'nodeif', mac_address: link.address })]);
  }, 90000);
});

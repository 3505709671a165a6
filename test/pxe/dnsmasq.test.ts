import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig, type Config } from '../../common/config';
import { openRegistry, type NodeRegistry } from '../../nodes';
import { bootUrl, dnsmasqFiles, startDnsmasq } from '../../pxe/dnsmasq';
import { pxeFilterFor, type PxeFilter } from '../../pxe/filter';
import type { Service } from '../../scripts/services';
import { ensurePxePrerequisites, ignoredLines } from '../support/pxe';

// Introspector's dnsmasq, for real, on a veth whose other end is a DHCP client (busybox udhcpc)
// in a namespace of this test: what the PXE filter writes is what dnsmasq answers.

const run = promisify(execFile);
const NS = 'pxdcli';
const LINK = 'pxd-srv';
const MAC_A = '52:54:00:46:00:01';
const MAC_B = '52:54:00:46:00:02';
const MAC_UNKNOWN = '52:54:00:46:00:99';

let dir: string;
let config: Config;
let registry: NodeRegistry;
let filter: PxeFilter;
let dnsmasq: Service | undefined;

async function removeNetwork(): Promise<void> {
  await run('ip', ['link', 'del', LINK]).catch(() => undefined);
  await run('ip', ['netns', 'del', NS]).catch(() => undefined);
}

beforeAll(async () => {
  ensurePxePrerequisites();
  await removeNetwork();
  await run('ip', ['netns', 'add', NS]);
  await run('ip', ['link', 'add', LINK, 'type', 'veth', 'peer', 'name', 'c0', 'netns', NS]);
  await run('ip', ['addr', 'add', '10.46.0.1/24', 'dev', LINK]);
  await run('ip', ['link', 'set', LINK, 'up']);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pxe-dnsmasq-'));
  config = loadConfig({ INTROSPECTOR_DATA_DIR: dir, PXE_INTERFACE: LINK, PXE_DHCP_RANGE: '10.46.0.100,10.46.0.150,255.255.255.0,2m' });
  registry = await openRegistry(`sqlite://${path.join(dir, 'nodes.sqlite')}`);
  filter = pxeFilterFor(config, registry)!;
  dnsmasq = await startDnsmasq(config, 5050);
}, 10 * 60_000);

afterAll(async () => {
  await dnsmasq?.stop();
  await registry?.close();
  await removeNetwork();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * One DHCP exchange from the namespace with this MAC: the lease's address and boot file, or null
 * when no answer came. `ipxe` sends the user class iPXE does.
 */
async function dhcp(mac: string, options: { ipxe?: boolean; attempts?: number; timeoutSeconds?: number } = {}): Promise<{ ip: string; bootFile: string } | null> {
  await run('ip', ['-n', NS, 'link', 'set', 'c0', 'down']);
  await run('ip', ['-n', NS, 'link', 'set', 'c0', 'address', mac]);
  await run('ip', ['-n', NS, 'link', 'set', 'c0', 'up']);
  const out = path.join(dir, 'lease');
  const script = path.join(dir, 'udhcpc.sh');
  fs.writeFileSync(script, `#!/bin/sh\n[ "$1" = bound ] && echo "$ip $boot_file" > ${out}\nexit 0\n`, { mode: 0o755 });
  fs.rmSync(out, { force: true });
  const args = ['udhcpc', '-i', 'c0', '-n', '-q', '-f', '-t', String(options.attempts ?? 3), '-T', String(options.timeoutSeconds ?? 2), '-s', script];
  if (options.ipxe) args.push('-x', '0x4d:69505845'); // option 77, "iPXE"
  await run('ip', ['netns', 'exec', NS, 'busybox', ...args]).catch(() => undefined); // no lease: exits 1
  if (!fs.existsSync(out)) return null;
  const [ip, bootFile] = fs.readFileSync(out, 'utf8').trim().split(' ');
  return { ip, bootFile };
}

/** For a refusal: dnsmasq's log says at once that it ignored the request. */
const ONE_TRY = { attempts: 1, timeoutSeconds: 1 };

const log = () => fs.readFileSync(dnsmasqFiles(config).log, 'utf8');

async function nodeWithPort(name: string, mac: string): Promise<string> {
  const node = await registry.createNode({ name, driver: 'fake' });
  await registry.createPort({ node_uuid: node.uuid, address: mac });
  return node.uuid;
}

test('dnsmasq answers only the MACs the filter lets through, an exact MAC before the wildcard', async () => {
  // Before the filter's first sync the hostsdir is empty: no answer for anyone.
  expect(await dhcp(MAC_UNKNOWN, ONE_TRY)).toBeNull();
  expect(ignoredLines(log(), MAC_UNKNOWN).length).toBeGreaterThan(0);

  const a = await nodeWithPort('a', MAC_A);
  await nodeWithPort('b', MAC_B);
  await filter.sync();
  expect(await dhcp(MAC_A, ONE_TRY)).toBeNull();

  // A's run opens: A is answered; B (known, not introspected) and unknown MACs are not.
  await registry.runs.open(a);
  await filter.sync();
  const leased = await dhcp(MAC_A);
  expect(leased).toEqual({ ip: expect.stringMatching(/^10\.46\.0\.1\d\d$/), bootFile: 'undionly.kpxe' });
  expect(await dhcp(MAC_A, { ipxe: true })).toMatchObject({ bootFile: 'http://10.46.0.1:5050/boot.ipxe' });
  expect(await dhcp(MAC_UNKNOWN, ONE_TRY)).toBeNull();

  // A node with no port is introspected too: unknown MACs are answered (the wildcard), B still not (its exact entry wins).
  const bmcOnly = (await registry.createNode({ name: 'bmc-only', driver: 'fake' })).uuid;
  await registry.runs.open(bmcOnly);
  await filter.sync();
  expect(await dhcp(MAC_UNKNOWN)).not.toBeNull();
  const before = ignoredLines(log(), MAC_B).length;
  expect(await dhcp(MAC_B, ONE_TRY)).toBeNull();
  expect(ignoredLines(log(), MAC_B).length).toBeGreaterThan(before);
  await registry.runs.close(bmcOnly);

  // The run closes: A is refused again (its file rewritten, not deleted: dnsmasq would keep the allow).
  await registry.runs.close(a);
  await filter.sync();
  const ignoredA = ignoredLines(log(), MAC_A).length;
  expect(await dhcp(MAC_A, ONE_TRY)).toBeNull();
  expect(ignoredLines(log(), MAC_A).length).toBeGreaterThan(ignoredA);
}, 120_000);

test('the boot URL is the interface address and the boot port; a boot service on loopback only is refused', () => {
  expect(bootUrl(config, 6000)).toBe('http://10.46.0.1:6000/boot.ipxe');
  expect(bootUrl({ ...config, PXE_BOOT_HOST: 'pxe.example.org' }, 6000)).toBe('http://pxe.example.org:6000/boot.ipxe');
  expect(() => bootUrl({ ...config, AUTH_STRATEGY: 'noauth' }, 6000)).toThrow(/listens on 127\.0\.0\.1 only/);
  expect(bootUrl({ ...config, AUTH_STRATEGY: 'noauth', CALLBACK_PORT: 6001, CALLBACK_HOST: '10.46.0.1' }, 6001)).toBe('http://10.46.0.1:6001/boot.ipxe');
});

test.each([
  ['10.20.0.100,10.20.0.200', true],
  ['10.20.0.100,10.20.0.200,255.255.255.0', true],
  ['10.20.0.100,10.20.0.200,12h', true],
  ['10.20.0.100,10.20.0.200,255.255.255.0,infinite', true],
  ['10.20.0.100', false],
  ['10.20.0.100,10.20.0.300', false],
  ['10.20.0.100,10.20.0.200,12h,255.255.255.0', false],
  ['10.20.0.100,10.20.0.200\ndhcp-script=/tmp/x', false],
])('PXE_DHCP_RANGE %j is accepted: %s', (range, ok) => {
  const load = () => loadConfig({ PXE_DHCP_RANGE: range });
  if (ok) expect(load().PXE_DHCP_RANGE).toBe(range);
  else expect(load).toThrow(/PXE_DHCP_RANGE/);
});

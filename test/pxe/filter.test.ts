import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../common/config';
import { openRegistry, type NodeRegistry } from '../../nodes';
import { pxeFilterFor, type PxeFilter } from '../../pxe/filter';

// The PXE filter over a real SQLite registry: which file each MAC gets in the hostsdir.

let dir: string;
let hostsdir: string;
let registry: NodeRegistry;

const MAC_A = '52:54:00:aa:00:01';
const MAC_B = '52:54:00:aa:00:02';
const MAC_C = '52:54:00:aa:00:03';

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pxe-filter-'));
  hostsdir = path.join(dir, 'hostsdir');
  registry = await openRegistry(`sqlite://${path.join(dir, 'nodes.sqlite')}`);
});

afterEach(async () => {
  await registry.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function filter(discovery = false): PxeFilter {
  const config = loadConfig({ INTROSPECTOR_DATA_DIR: dir, PXE_HOSTSDIR: hostsdir, DISCOVERY_ENABLED: String(discovery) });
  return pxeFilterFor(config, registry)!;
}

/** Every file of the hostsdir and what it holds. */
function files(): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(hostsdir).map((name) => [name, fs.readFileSync(path.join(hostsdir, name), 'utf8')]));
}

async function nodeWithPort(name: string, mac: string): Promise<string> {
  const node = await registry.createNode({ name, driver: 'fake' });
  await registry.createPort({ node_uuid: node.uuid, address: mac.toUpperCase() });
  return node.uuid;
}

test('no hostsdir configured, no filter', () => {
  expect(pxeFilterFor(loadConfig({ INTROSPECTOR_DATA_DIR: dir }), registry)).toBeNull();
  const withDnsmasq = loadConfig({ INTROSPECTOR_DATA_DIR: dir, PXE_INTERFACE: 'eth9', PXE_DHCP_RANGE: '10.9.0.10,10.9.0.20' });
  expect(pxeFilterFor(withDnsmasq, registry)).not.toBeNull();
});

test('known MACs are ignored and unknown ones too while nothing is introspected', async () => {
  await nodeWithPort('a', MAC_A);
  expect(await filter().sync()).toEqual({ allowed: 0, denied: 1, unknown: 'deny', written: 2 });
  expect(files()).toEqual({ [MAC_A]: `${MAC_A},ignore\n`, unknown_hosts_filter: '*:*:*:*:*:*,ignore\n' });
});

test('a node being introspected is answered, other known MACs stay ignored, and so do unknown ones', async () => {
  const a = await nodeWithPort('a', MAC_A);
  await nodeWithPort('b', MAC_B);
  const pxe = filter();
  await pxe.sync();
  await registry.runs.open(a);
  expect(await pxe.sync()).toEqual({ allowed: 1, denied: 1, unknown: 'deny', written: 1 });
  expect(files()).toEqual({ [MAC_A]: `${MAC_A}\n`, [MAC_B]: `${MAC_B},ignore\n`, unknown_hosts_filter: '*:*:*:*:*:*,ignore\n' });

  await registry.runs.close(a);
  expect(await pxe.sync()).toMatchObject({ allowed: 0, denied: 2, unknown: 'deny', written: 1 });
  expect(files()[MAC_A]).toBe(`${MAC_A},ignore\n`);
});

test('unknown MACs are answered while a node without a PXE-enabled port is introspected (it boots from a NIC nobody enrolled)', async () => {
  await nodeWithPort('a', MAC_A);
  const bmcOnly = (await registry.createNode({ name: 'bmc-only', driver: 'fake' })).uuid;
  const notPxe = (await registry.createNode({ name: 'not-pxe', driver: 'fake' })).uuid;
  await registry.createPort({ node_uuid: notPxe, address: MAC_B, pxe_enabled: false });
  const pxe = filter();
  await registry.runs.open(notPxe);
  expect(await pxe.sync()).toMatchObject({ unknown: 'allow' });
  await registry.runs.close(notPxe);
  expect(await pxe.sync()).toMatchObject({ unknown: 'deny' });
  await registry.runs.open(bmcOnly);
  expect(await pxe.sync()).toMatchObject({ allowed: 0, denied: 2, unknown: 'allow' });
  // The exact entries of known MACs still say ignore: dnsmasq prefers them to the wildcard.
  expect(files()).toEqual({ [MAC_A]: `${MAC_A},ignore\n`, [MAC_B]: `${MAC_B},ignore\n`, unknown_hosts_filter: '*:*:*:*:*:*\n' });
});

test('discovery answers unknown MACs, never a known one not being introspected', async () => {
  await nodeWithPort('a', MAC_A);
  expect(await filter(true).sync()).toMatchObject({ allowed: 0, denied: 1, unknown: 'allow' });
  expect(files()).toEqual({ [MAC_A]: `${MAC_A},ignore\n`, unknown_hosts_filter: '*:*:*:*:*:*\n' });
  // Turned off again (a worker restarted without it): the wildcard is rewritten.
  expect(await filter(false).sync()).toMatchObject({ unknown: 'deny', written: 1 });
  expect(files().unknown_hosts_filter).toBe('*:*:*:*:*:*,ignore\n');
});

test("a deleted port's file is rewritten to what unknown MACs get, never deleted (dnsmasq would keep its entry)", async () => {
  const a = await nodeWithPort('a', MAC_A);
  const b = await nodeWithPort('b', MAC_B);
  const pxe = filter();
  await registry.runs.open(a);
  await pxe.sync();
  const [port] = await registry.listPorts(a);
  await registry.deletePort(port.uuid);
  await registry.runs.close(a);
  await pxe.sync();
  expect(files()[MAC_A]).toBe(`${MAC_A},ignore\n`);

  await registry.runs.open(b);
  const bmcOnly = (await registry.createNode({ name: 'bmc-only', driver: 'fake' })).uuid;
  await registry.runs.open(bmcOnly); // unknown MACs are answered meanwhile: MAC_A too
  await pxe.sync();
  expect(files()).toEqual({ [MAC_A]: `${MAC_A}\n`, [MAC_B]: `${MAC_B}\n`, unknown_hosts_filter: '*:*:*:*:*:*\n' });
});

test('writes only the files whose verdict changed; a new filter reads what is there and writes nothing more', async () => {
  const a = await nodeWithPort('a', MAC_A);
  await nodeWithPort('b', MAC_B);
  const pxe = filter();
  expect((await pxe.sync()).written).toBe(3);
  const before = fs.statSync(path.join(hostsdir, MAC_B)).mtimeMs;
  expect((await pxe.sync()).written).toBe(0);
  await registry.runs.open(a);
  expect((await pxe.sync()).written).toBe(1); // MAC_A alone
  expect(fs.statSync(path.join(hostsdir, MAC_B)).mtimeMs).toBe(before);
  expect((await filter().sync()).written).toBe(0);
  // A file of other content (edited by hand, half a write of another tool) is rewritten; files not named by a MAC are left alone.
  fs.writeFileSync(path.join(hostsdir, MAC_B), `${MAC_B}\n`);
  fs.writeFileSync(path.join(hostsdir, 'README'), 'not the filter\'s');
  expect((await filter().sync()).written).toBe(1);
  expect(files()).toMatchObject({ [MAC_B]: `${MAC_B},ignore\n`, README: "not the filter's" });
});

test('syncs run one at a time and leave no temporary file', async () => {
  const a = await nodeWithPort('a', MAC_A);
  const pxe = filter();
  await registry.runs.open(a);
  const results = await Promise.all([pxe.sync(), pxe.sync(), pxe.sync()]);
  expect(results.map((r) => r.written)).toEqual([2, 0, 0]); // MAC_A and the wildcard, once
  expect(Object.keys(files()).sort()).toEqual([MAC_A, 'unknown_hosts_filter']);
});

/** Each file's mtime, to tell which ones a sync rewrote. */
function mtimes(): Record<string, number> {
  return Object.fromEntries(fs.readdirSync(hostsdir).map((name) => [name, fs.statSync(path.join(hostsdir, name)).mtimeMs]));
}

describe('syncNode: the node whose run opened or closed', () => {

  test("answers the node's MACs while its run is open and ignores them once it is closed", async () => {
    const a = (await registry.createNode({ name: 'a', driver: 'fake' })).uuid;
    await registry.createPort({ node_uuid: a, address: MAC_A.toUpperCase() });
    await registry.createPort({ node_uuid: a, address: MAC_C });
    await nodeWithPort('b', MAC_B);
    const pxe = filter();
    await pxe.sync();
    await registry.runs.open(a);
    expect(await pxe.syncNode(a)).toEqual({ allowed: 2, denied: 0, unknown: 'deny', written: 2 });
    expect(files()).toEqual({ [MAC_A]: `${MAC_A}\n`, [MAC_B]: `${MAC_B},ignore\n`, [MAC_C]: `${MAC_C}\n`, unknown_hosts_filter: '*:*:*:*:*:*,ignore\n' });
    await registry.runs.close(a);
    expect(await pxe.syncNode(a)).toEqual({ allowed: 0, denied: 2, unknown: 'deny', written: 2 });
    expect(files()).toEqual({ [MAC_A]: `${MAC_A},ignore\n`, [MAC_B]: `${MAC_B},ignore\n`, [MAC_C]: `${MAC_C},ignore\n`, unknown_hosts_filter: '*:*:*:*:*:*,ignore\n' });
  });

  test("leaves every other MAC's file as it is until a full sync", async () => {
    const a = await nodeWithPort('a', MAC_A);
    const b = await nodeWithPort('b', MAC_B);
    const pxe = filter();
    await pxe.sync();
    await registry.runs.open(b); // b's file says ignore: only a full sync or b's own syncNode writes it
    fs.writeFileSync(path.join(hostsdir, MAC_B), 'edited behind its back\n');
    await registry.runs.open(a);
    expect(await pxe.syncNode(a)).toMatchObject({ written: 1 });
    expect(files()).toEqual({ [MAC_A]: `${MAC_A}\n`, [MAC_B]: 'edited behind its back\n', unknown_hosts_filter: '*:*:*:*:*:*,ignore\n' });
    // The full sync rereads nothing (it trusts its cache: ignore, as written) but does write b's new verdict.
    expect(await pxe.sync()).toEqual({ allowed: 2, denied: 0, unknown: 'deny', written: 1 });
    expect(files()[MAC_B]).toBe(`${MAC_B}\n`);
  });

  test('answers unknown MACs while the node has no PXE-enabled port (a full sync first: every enrolled MAC ignored), and stops when its run closes', async () => {
    await nodeWithPort('a', MAC_A);
    const notPxe = (await registry.createNode({ name: 'not-pxe', driver: 'fake' })).uuid;
    await registry.createPort({ node_uuid: notPxe, address: MAC_B, pxe_enabled: false });
    const bmcOnly = (await registry.createNode({ name: 'bmc-only', driver: 'fake' })).uuid;
    const pxe = filter();
    await pxe.sync();
    await registry.runs.open(notPxe);
    expect(await pxe.syncNode(notPxe)).toEqual({ allowed: 1, denied: 1, unknown: 'allow', written: 2 });
    expect(files()).toEqual({ [MAC_A]: `${MAC_A},ignore\n`, [MAC_B]: `${MAC_B}\n`, unknown_hosts_filter: '*:*:*:*:*:*\n' });
    await registry.runs.close(notPxe);
    expect(await pxe.syncNode(notPxe)).toEqual({ allowed: 0, denied: 1, unknown: 'deny', written: 2 });
    expect(files().unknown_hosts_filter).toBe('*:*:*:*:*:*,ignore\n');
    // A port enrolled since the last full sync has no file yet: ignored by the wildcard until it
    // answers unknown MACs, and then by its own file, written in the same sync.
    await nodeWithPort('c', MAC_C);
    expect(files()[MAC_C]).toBeUndefined();
    await registry.runs.open(bmcOnly);
    expect(await pxe.syncNode(bmcOnly)).toEqual({ allowed: 0, denied: 3, unknown: 'allow', written: 2 });
    expect(files()).toEqual({ [MAC_A]: `${MAC_A},ignore\n`, [MAC_B]: `${MAC_B},ignore\n`, [MAC_C]: `${MAC_C},ignore\n`, unknown_hosts_filter: '*:*:*:*:*:*\n' });
  });

  test("shares the full sync's cache, and writes nothing when nothing changed", async () => {
    const a = await nodeWithPort('a', MAC_A);
    await nodeWithPort('b', MAC_B);
    const pxe = filter();
    await registry.runs.open(a);
    // Before any full sync: the first one writes all three files, the node's sync that follows finds them right.
    const [full, node] = await Promise.all([pxe.sync(), pxe.syncNode(a)]);
    expect([full.written, node.written]).toEqual([3, 0]);
    const before = mtimes();
    await new Promise((resolve) => setTimeout(resolve, 20)); // a rewrite would show a later mtime
    expect(await pxe.syncNode(a)).toMatchObject({ allowed: 1, written: 0 });
    expect(mtimes()).toEqual(before);
    expect(Object.keys(files()).sort()).toEqual([MAC_A, MAC_B, 'unknown_hosts_filter']); // no temporary file
  });
});

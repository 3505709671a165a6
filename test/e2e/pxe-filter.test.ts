import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { dnsmasqFiles } from '../../pxe/dnsmasq';
import { UNKNOWN_HOSTS_FILE } from '../../pxe/hostsdir';
import { SimRack, type SimNode } from '../../sim/rack';
import { ensurePxePrerequisites, ignoredLines } from '../support/pxe';
import { enrollSimNode } from '../support/rack';
import { ensureVmPrerequisites, qemuProcessesUsing, RAMDISK_DIR } from '../support/ramdisk';
import { http, introspectionEnded, startStack, waitFor, type Stack } from '../support/stack';

// Two virtual servers on a provisioning network of their own (a bridge; sim/provisioning.ts),
// served by Introspector's dnsmasq with the PXE filter. The one being introspected was enrolled
// by its BMC alone, so unknown MACs are answered meanwhile: it gets DHCP, iPXE chains to the boot
// service and its ramdisk calls back (found by its BMC address), and its NIC becomes a port. The
// other, enrolled with its MAC and not being introspected, is powered on to PXE by an operator
// meanwhile: its exact entry (ignore) wins over the wildcard, and it never fetches a boot script.

const run = promisify(execFile);
const BASE_PORT = 18133;
/** Fixed, not picked: the rack (and its bridge, where dnsmasq binds) comes up before the stack. */
const INSPECTOR_PORT = BASE_PORT + 20;

let rackDir: string;
let rack: SimRack;
let stack: Stack;

beforeAll(async () => {
  ensureVmPrerequisites();
  ensurePxePrerequisites();
  rackDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pxe-rack-'));
  rack = await SimRack.start({ dir: rackDir, count: 2, prefix: 'pxf', net: 45, vms: [1, 2], provisioning: 'bridge', inspectorPort: INSPECTOR_PORT, powerDelaySeconds: 1 });
  stack = await startStack(BASE_PORT, {
    INSPECTOR_PORT: String(INSPECTOR_PORT),
    PXE_INTERFACE: rack.provisioning!.interface,
    PXE_DHCP_RANGE: rack.provisioning!.dhcpRange,
    INTROSPECTION_TIMEOUT: '300',
    INTROSPECTION_BOOT_TIMEOUT: '240',
    RAMDISK_DIR,
  });
}, 30 * 60_000);

afterAll(async () => {
  await rack?.stop();
  await stack?.stop();
  if (rackDir) fs.rmSync(rackDir, { recursive: true, force: true });
});

/** An operator's ipmitool against a node's BMC. */
async function ipmitool(node: SimNode, ...command: string[]): Promise<void> {
  const args = ['-I', 'lanplus', '-H', node.bmcAddress, '-p', String(node.bmcPort), '-U', node.username, '-E', '-C', '3', ...command];
  await run('ipmitool', args, { env: { ...process.env, IPMI_PASSWORD: node.password } });
}

const vmConsole = (node: SimNode) => fs.readFileSync(path.join(node.dir, 'agent.log'), 'utf8');
const dnsmasqLog = () => fs.readFileSync(dnsmasqFiles(stack.config).log, 'utf8');
/** What the PXE filter's file (a MAC's, or the wildcard's) says; '' before the filter wrote it. */
function hostsFile(name: string): string {
  const file = path.join(dnsmasqFiles(stack.config).hostsdir, name);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

test('dnsmasq boots the server being introspected and refuses a known one that is not', async () => {
  const [introspected, refused] = rack.nodes;
  const uuid = await enrollSimNode(stack, introspected);
  const refusedUuid = await enrollSimNode(stack, refused, { port: true });

  expect((await http('POST', `${stack.inspectorUrl}/v1/introspection/${introspected.name}`)).status).toBe(202);
  // The run opens, and the filter is synced, before the power-on. The introspected node has no
  // port yet, so unknown MACs are answered: the refused node's exact ignore must win over the wildcard.
  await waitFor('the filter to answer unknown MACs', async () => (hostsFile(UNKNOWN_HOSTS_FILE) === '*:*:*:*:*:*\n' ? true : undefined), 30_000);
  expect(hostsFile(refused.mac)).toBe(`${refused.mac},ignore\n`);

  // Meanwhile, an operator PXE boots the other server.
  await ipmitool(refused, 'chassis', 'bootdev', 'pxe');
  await ipmitool(refused, 'power', 'on');
  const refusedDisk = path.join(refused.dir, 'disk.img');
  await waitFor('the refused VM to start', async () => (qemuProcessesUsing(refusedDisk).length > 0 ? true : undefined), 60_000);

  const status = await introspectionEnded(stack, introspected.name, 280_000, 500);
  if (status.state !== 'finished') process.stderr.write(`VM console tail:\n${vmConsole(introspected).slice(-4000)}\n`);
  expect(status).toMatchObject({ uuid, state: 'finished', error: null });
  // Its lease came from dnsmasq on the bridge, and iPXE chained to the boot service at the bridge's address.
  expect(dnsmasqLog()).toMatch(new RegExp(`DHCPACK\\(${rack.provisioning!.interface}\\) 10\\.45\\.0\\.\\d+ ${introspected.mac}`));
  expect(vmConsole(introspected)).toContain(`http://${rack.provisioning!.address}:${INSPECTOR_PORT}/boot.ipxe... ok`);
  expect(vmConsole(introspected)).toMatch(/\/initramfs\.\.\.[^\n]* ok/); // iPXE may show its progress on the line
  const ports = await http('GET', `${stack.nodeUrl}/v1/ports?node_uuid=${uuid}`);
  expect(ports.body.ports.map((p: { address: string }) => p.address)).toEqual([introspected.mac]);
  await waitFor('the introspected VM to be gone', async () => (qemuProcessesUsing(path.join(introspected.dir, 'disk.img')).length === 0 ? true : undefined), 15_000);
  expect(rack.powerState(introspected)).toBe('off');
  // Once done, its NIC is a known MAC, refused like the other, and unknown MACs are refused again.
  await waitFor('the filter to close again', async () => (hostsFile(UNKNOWN_HOSTS_FILE) === '*:*:*:*:*:*,ignore\n' ? true : undefined), 30_000);
  expect(hostsFile(introspected.mac)).toBe(`${introspected.mac},ignore\n`);

  // The refused server's iPXE asked for DHCP, was ignored, and gave up on the network.
  await waitFor('the refused VM to give up network booting', async () => (/No more network devices|No bootable device/.test(vmConsole(refused)) ? true : undefined), 120_000, 1000);
  expect(ignoredLines(dnsmasqLog(), refused.mac).length).toBeGreaterThan(0);
  expect(dnsmasqLog()).not.toMatch(new RegExp(`DHCP(OFFER|ACK)\\([^)]+\\) [0-9.]+ ${refused.mac}`));
  expect(vmConsole(refused)).not.toContain('boot.ipxe');
  expect(vmConsole(refused)).not.toContain('ramdisk');
  expect((await http('GET', `${stack.nodeUrl}/v1/nodes/${refusedUuid}`)).body).toMatchObject({ provision_state: 'enroll', inspection_started_at: null });

  await ipmitool(refused, 'power', 'off');
  await waitFor('the refused VM to be gone', async () => (qemuProcessesUsing(refusedDisk).length === 0 ? true : undefined), 15_000);
}, 420_000);

// Removing a simulated rack from the host, whether it is stopping or was killed: its ipmi_sims
// are found by name and working dir, what each node's chassis started by pid files in the
// node's dir, its network by the rack's prefix.

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { isRunning } from './chassis';

const run = promisify(execFile);
const GRACE_MS = 2000;

export const nodeDirName = (prefix: string, index: number) => `${prefix}-node-${String(index).padStart(2, '0')}`;
export const namespaceName = (prefix: string, index: number) => `${prefix}ns${index}`;
export const hostLinkName = (prefix: string, index: number) => `${prefix}h${index}`;
/** The rack's provisioning network (RackOptions.provisioning): a bridge, and a tap on it per VM. */
export const provisioningBridgeName = (prefix: string) => `${prefix}-pxe`;
export const tapName = (prefix: string, index: number) => `${prefix}-tap${index}`;

/**
 * Removes every process, namespace and veth a rack with this dir and prefix left behind: first
 * the BMCs, so that no request starts anything again, then per node the power timer and the
 * firmware (with the ramdisk), each a process group.
 */
export async function removeRack(dir: string, prefix: string): Promise<void> {
  const nodeDir = new RegExp(`^${prefix}-node-\\d+$`);
  await Promise.all(ipmiSims(nodeDir).map(endGroup));
  const entries = fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => nodeDir.test(name)) : [];
  // As /proc names the nodes' dirs: without symlinks.
  await Promise.all(entries.map((name) => endNodeProcesses(fs.realpathSync(path.join(dir, name)))));
  await removeNetwork(prefix);
}

/**
 * The ipmi_sims serving nodes of the rack's prefix, each in its node's dir, wherever that is (a
 * killed test's rack dir may be gone): one would keep the next rack's BMC address in use.
 */
function ipmiSims(nodeDir: RegExp): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => readFile(`/proc/${pid}/comm`) === 'ipmi_sim' && nodeDir.test(path.basename(readLink(`/proc/${pid}/cwd`)?.replace(/ \(deleted\)$/, '') ?? '')))
    .map(Number);
}

async function endNodeProcesses(nodeDir: string): Promise<void> {
  for (const file of ['pending', 'boot.pid']) {
    const pgid = Number(readFile(path.join(nodeDir, file))?.split(' ').pop());
    if (pgid > 0 && isOurs(pgid, nodeDir)) await endGroup(pgid);
    fs.rmSync(path.join(nodeDir, file), { force: true });
  }
}

/**
 * Whether a pid file still names one of the node's processes: its leader runs in the node's dir
 * (chassis-control.sh starts everything there), or is gone (then the group, if any of
 * it is left, is still the node's: a pid is not reused while a process group of that id exists).
 */
function isOurs(pgid: number, nodeDir: string): boolean {
  const cwd = readLink(`/proc/${pgid}/cwd`);
  return cwd === undefined || cwd === nodeDir;
}

async function endGroup(pgid: number): Promise<void> {
  signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + GRACE_MS;
  while (isRunning(pgid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  signalGroup(pgid, 'SIGKILL'); // what ignored SIGTERM, and the leader's children
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone
  }
}

/** Deletes the rack's namespaces, host-side veths (deleting one end of a veth deletes both), provisioning bridge and taps. */
async function removeNetwork(prefix: string): Promise<void> {
  const namespaces = new RegExp(`^${prefix}ns\\d+$`);
  const links = new RegExp(`^${prefix}h\\d+$`);
  const provisioning = new RegExp(`^${prefix}-(pxe|tap\\d+)$`);
  const list = async (args: string[], key: string, pattern: RegExp) => {
    try {
      const { stdout } = await run('ip', ['-j', ...args]);
      return (stdout.trim() ? (JSON.parse(stdout) as Record<string, string>[]) : []).map((e) => e[key]).filter((name) => pattern.test(name));
    } catch {
      return []; // no ip, or not root: nothing of ours there
    }
  };
  const ignore = () => undefined;
  await Promise.all((await list(['link', 'show', 'type', 'veth'], 'ifname', links)).map((name) => run('ip', ['link', 'del', name]).catch(ignore)));
  await Promise.all((await list(['link', 'show'], 'ifname', provisioning)).map((name) => run('ip', ['link', 'del', name]).catch(ignore)));
  await Promise.all((await list(['netns', 'list'], 'name', namespaces)).map((name) => run('ip', ['netns', 'del', name]).catch(ignore)));
}

function readLink(link: string): string | undefined {
  try {
    return fs.readlinkSync(link);
  } catch {
    return undefined;
  }
}

function readFile(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

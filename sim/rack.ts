import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildAgent, bundle } from '../agent/build';

const run = promisify(execFile);
const CHASSIS_CONTROL = path.join(__dirname, 'chassis-control.sh');

export interface RackOptions {
  /** Where each node keeps its BMC config, state and logs. */
  dir: string;
  count: number;
  /** Names nodes, namespaces and veths; keep racks that run at once apart. Letters only, ≤ 5 chars. */
  prefix: string;
  /** Second octet of the BMC loopback addresses (127.0.N.10+i) and of the nodes' links (10.N.i.0/30). */
  net: number;
  /** The inspector API port the agents call back to. */
  inspectorPort: number;
  username?: string;
  password?: string;
  /** Per node index: boots that start nothing before one that works. */
  failBoots?: Record<number, number>;
  /** Seconds a node takes to boot (power-on self test) before its firmware asks for a boot script. */
  bootDelaySeconds?: number;
  /** Extra agent flags, e.g. ['--collectors', 'default,pci-devices']. */
  agentArgs?: string[];
}

export interface SimNode {
  index: number;
  name: string;
  dir: string;
  bmcAddress: string;
  bmcPort: number;
  username: string;
  password: string;
  /** The MAC the node's agent reports (its veth in its own network namespace). */
  mac: string;
  netns: string | null;
}

/** The node's `driver_info` for enrolling it (the password may be overridden to simulate a wrong one). */
export function ipmiDriverInfo(node: SimNode, password = node.password) {
  return { ipmi_address: node.bmcAddress, ipmi_port: node.bmcPort, ipmi_username: node.username, ipmi_password: password };
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

async function canUseNetns(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  try {
    await run('ip', ['netns', 'list']);
    return true;
  } catch {
    return false;
  }
}

/**
 * A simulated rack: per node, a real IPMI BMC (ipmi_sim) on its own loopback address whose
 * chassis_control starts the node's PXE firmware on power on, inside the node's own network
 * namespace with the node's MAC. The firmware boots what the server's boot script for that
 * MAC says: the real agent bundle with the script's kernel command line (callback URL,
 * collectors, BOOTIF, the run's token), or the local disk. Without root (no netns, no port
 * 623) nodes use ports 6230+i and run on the host network, where their agents report the
 * host's NICs: the server finds them by BMC address instead of MAC.
 */
export class SimRack {
  private constructor(
    readonly nodes: SimNode[],
    private readonly bmcs: ChildProcess[],
    private readonly options: RackOptions,
  ) {}

  static async start(options: RackOptions): Promise<SimRack> {
    const netns = await canUseNetns();
    const root = process.getuid?.() === 0;
    const nodes: SimNode[] = [];
    const bmcs: ChildProcess[] = [];
    const rack = new SimRack(nodes, bmcs, options);
    // The nodes boot what a real ramdisk carries: the one-file agent bundle, run by bare node.
    fs.mkdirSync(options.dir, { recursive: true });
    await buildAgent(rack.agentBundle());
    await bundle(path.join(__dirname, 'firmware.ts'), rack.firmwareBundle());
    try {
      for (let i = 1; i <= options.count; i++) {
        const node = rack.describe(i, netns, root);
        nodes.push(node);
        fs.rmSync(node.dir, { recursive: true, force: true });
        fs.mkdirSync(path.join(node.dir, 'state'), { recursive: true });
        if (netns) await rack.createNamespace(node, i);
        rack.writeNodeFiles(node, i);
        bmcs.push(await rack.startBmc(node));
      }
    } catch (err) {
      await rack.stop();
      throw err;
    }
    return rack;
  }

  private describe(i: number, netns: boolean, root: boolean): SimNode {
    const o = this.options;
    const name = `${o.prefix}-node-${String(i).padStart(2, '0')}`;
    return {
      index: i,
      name,
      dir: path.join(o.dir, name),
      bmcAddress: `127.0.${o.net}.${10 + i}`,
      bmcPort: root ? 623 : 6230 + i,
      username: o.username ?? 'admin',
      password: o.password ?? 'password',
      mac: `52:54:00:${hex2(o.net)}:00:${hex2(i)}`,
      netns: netns ? `${o.prefix}ns${i}` : null,
    };
  }

  private agentBundle(): string {
    return path.join(this.options.dir, 'agent.js');
  }

  private firmwareBundle(): string {
    return path.join(this.options.dir, 'firmware.js');
  }

  private hostSideAddress(i: number): string {
    return `10.${this.options.net}.${i}.1`;
  }

  private async createNamespace(node: SimNode, i: number): Promise<void> {
    const ns = node.netns!;
    const hostIf = `${this.options.prefix}h${i}`;
    await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    await run('ip', ['link', 'del', hostIf]).catch(() => undefined);
    await run('ip', ['netns', 'add', ns]);
    await run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await run('ip', ['-n', ns, 'link', 'set', 'eth0', 'address', node.mac]);
    await run('ip', ['addr', 'add', `${this.hostSideAddress(i)}/30`, 'dev', hostIf]);
    await run('ip', ['link', 'set', hostIf, 'up']);
    await run('ip', ['-n', ns, 'addr', 'add', `10.${this.options.net}.${i}.2/30`, 'dev', 'eth0']);
    await run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }

  private writeNodeFiles(node: SimNode, i: number): void {
    const o = this.options;
    const bootHost = node.netns ? this.hostSideAddress(i) : '127.0.0.1';
    const firmware = [
      process.execPath,
      this.firmwareBundle(),
      '--script-url', `http://${bootHost}:${o.inspectorPort}/boot/${node.mac.replace(/:/g, '-')}.ipxe`,
      '--cmdline-file', path.join(node.dir, 'cmdline'),
      '--',
      process.execPath,
      this.agentBundle(),
      '--bmc-address', node.bmcAddress,
      ...(o.agentArgs ?? []),
    ].map((a) => `'${a.replace(/'/g, `'\\''`)}'`);
    const exec = node.netns ? `exec ip netns exec ${node.netns} ${firmware.join(' ')}` : `exec ${firmware.join(' ')}`;
    const delay = o.bootDelaySeconds ? `sleep ${o.bootDelaySeconds}\n` : '';
    fs.writeFileSync(path.join(node.dir, 'boot.sh'), `#!/usr/bin/env bash\n${delay}${exec}\n`);
    fs.writeFileSync(path.join(node.dir, 'fail-boots'), String(o.failBoots?.[i] ?? 0));
    const guid = `a123456789abcdef${hex2(o.net)}${hex2(i)}`.padEnd(32, "0");
    fs.writeFileSync(
      path.join(node.dir, 'lan.conf'),
      [
        `name "${node.name}"`,
        'set_working_mc 0x20',
        '  startlan 1',
        `    addr ${node.bmcAddress} ${node.bmcPort}`,
        '    priv_limit admin',
        ...['callback', 'user', 'operator', 'admin'].map((r) => `    allowed_auths_${r} none md2 md5 straight`),
        `    guid ${guid}`,
        '  endlan',
        `  chassis_control "${CHASSIS_CONTROL} ${node.dir}"`,
        `  user 2 true "${node.username}" "${node.password}" admin 10 none md2 md5 straight`,
        '',
      ].join('\n'),
    );
    fs.writeFileSync(
      path.join(node.dir, 'cmds.emu'),
      ['mc_setbmc 0x20', 'mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr', 'sel_enable 0x20 1000 0x0a', 'mc_enable 0x20', ''].join('\n'),
    );
  }

  private async startBmc(node: SimNode): Promise<ChildProcess> {
    const log = fs.openSync(path.join(node.dir, 'ipmi_sim.log'), 'a');
    const child = spawn('ipmi_sim', ['-c', 'lan.conf', '-f', 'cmds.emu', '-s', 'state', '-n'], {
      cwd: node.dir,
      stdio: ['ignore', log, log],
      detached: true,
    });
    fs.closeSync(log);
    // ipmi_sim reads its config and binds at once; an answer to `power status` means it is up.
    for (let attempt = 0; attempt < 50; attempt++) {
      if (child.exitCode !== null) break;
      try {
        await run(
          'ipmitool',
          ['-I', 'lanplus', '-H', node.bmcAddress, '-p', String(node.bmcPort), '-U', node.username, '-E', '-C', '3', '-N', '1', '-R', '1', 'power', 'status'],
          { env: { ...process.env, IPMI_PASSWORD: node.password }, timeout: 5000 },
        );
        return child;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    child.kill('SIGKILL');
    throw new Error(`ipmi_sim for ${node.name} did not answer on ${node.bmcAddress}:${node.bmcPort}; see ${node.dir}/ipmi_sim.log`);
  }

  /** True while the node boots or runs its ramdisk (the firmware waits for the agent); false once it booted from disk. */
  agentRunning(node: SimNode): boolean {
    try {
      const pid = fs.readFileSync(path.join(node.dir, 'boot.pid'), 'utf8').trim();
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.split(' ')[2] !== 'Z';
    } catch {
      return false;
    }
  }

  /** Power state as the simulated chassis holds it. */
  powerState(node: SimNode): 'on' | 'off' {
    try {
      return fs.readFileSync(path.join(node.dir, 'power'), 'utf8').trim() === '1' ? 'on' : 'off';
    } catch {
      return 'off';
    }
  }

  async stop(): Promise<void> {
    for (const node of this.nodes) {
      try {
        const pgid = Number(fs.readFileSync(path.join(node.dir, 'boot.pid'), 'utf8').trim());
        process.kill(-pgid, 'SIGTERM');
      } catch {
        // no ramdisk running
      }
    }
    await Promise.all(
      this.bmcs.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 3000).unref();
          }),
      ),
    );
    for (const node of this.nodes) {
      if (!node.netns) continue;
      await run('ip', ['netns', 'del', node.netns]).catch(() => undefined);
      await run('ip', ['link', 'del', `${this.options.prefix}h${node.index}`]).catch(() => undefined);
    }
  }
}

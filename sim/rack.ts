import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildAgent, bundle } from '../agent/build';
import { BOARD_SCRIPT } from './board';
import { Chassis, CHASSIS_CONTROL, LAN_CONFIG } from './chassis';
import { hostLinkName, namespaceName, nodeDirName, removeRack, tapName } from './cleanup';
import { IpmiProxy } from './ipmi-proxy';
import { defaultHardware, writeHardware } from './hardware';
import { createProvisioningNetwork, type ProvisioningNetwork } from './provisioning';
import { RedfishBmc } from './redfish-bmc';
import { cablePort, LldpSwitch } from './switch';
import { isUnkind, Temper, type Unkindness } from './unkind';
import { vmBmcSerial, vmBootScript, vmIdentity, type VmIdentity } from './vm';

const run = promisify(execFile);
const REDFISH_PORT = 8000;
/** Where ipmi_sim listens, relative to the node's BMC port, when an unkind proxy stands in front of it. */
const PROXIED_IPMI_PORT_OFFSET = 10000;
const REDFISH_SYSTEM_ID = 'System.Embedded.1';

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
  /** Per node index: PXE boots that start nothing before one that works. */
  failBoots?: Record<number, number>;
  /** Seconds a node takes to boot (power-on self test) before its firmware asks for a boot script. */
  bootDelaySeconds?: number;
  /** Seconds a power change takes to reach the chassis; the BMC answers at once. Default 1. */
  powerDelaySeconds?: number;
  /** IPMI nodes: seconds after which a boot override no boot used expires (the boot-flag valid bit). Default 60; 0: never. */
  bootOverrideExpirySeconds?: number;
  /** Nodes whose BMC speaks Redfish instead of IPMI: all, or these node indexes. */
  redfish?: 'all' | number[];
  /** Per node index: milliseconds every BMC request takes more (IPMI: every datagram, about 11 per ipmitool call). */
  slow?: Record<number, number>;
  /** Per node index: the share (0..1) of BMC requests lost (IPMI: datagrams dropped; Redfish: connections closed unanswered). */
  flaky?: Record<number, number>;
  /**
   * Per node index: N ≥ 1 refuses the first N BMC requests busy, 0 < N < 1 that share of them
   * (IPMI: chassis requests, completion code 0xC0; Redfish: HTTP 503 with Retry-After).
   */
  busy?: Record<number, number>;
  /**
   * Per node index: a BMC address (one of this host's: the BMC binds it) and a MAC of the node's
   * own instead of 127.0.N.10+i and 52:54:00:N:00:i, e.g. a server a document names.
   */
  identity?: Record<number, { bmcAddress?: string; mac?: string }>;
  /** Extra agent flags, e.g. ['--collectors', 'default,pci-devices']. */
  agentArgs?: string[];
  /**
   * IPMI nodes that are real virtual servers (sim/vm.ts): their PXE boot starts a qemu VM that
   * network-boots the inspector's ramdisk through iPXE, on the host's network (qemu's own DHCP)
   * or on the rack's provisioning bridge.
   */
  vms?: number[];
  /**
   * 'bridge': the VM nodes sit on a provisioning network of their own (sim/provisioning.ts, as
   * root), where their PXE boot gets DHCP from whoever serves it, not from qemu.
   */
  provisioning?: 'bridge';
  /**
   * Nodes in network namespaces get hardware of their own (sim/hardware.ts: DIMMs, disks, serials,
   * a switch port sending LLDP every lldpIntervalSeconds, default 1) instead of reporting the host's;
   * sim/change.ts changes it between boots.
   */
  boards?: boolean;
  lldpIntervalSeconds?: number;
}

export interface SimNode {
  index: number;
  name: string;
  dir: string;
  /** The kind of BMC: ipmi_sim (behind an unkind proxy when the node is slow, flaky or busy), or the Redfish simulator. */
  bmc: 'ipmi' | 'redfish';
  bmcAddress: string;
  /** UDP port of an IPMI BMC, TCP port of a Redfish one. */
  bmcPort: number;
  username: string;
  password: string;
  /** The Redfish ComputerSystem's Id (Redfish nodes). */
  systemId: string;
  /** The MAC the node's agent reports (its veth in its own network namespace). */
  mac: string;
  netns: string | null;
  /** A VM node's SMBIOS and disk identity; null for nodes that run the simulated firmware. */
  vm: VmIdentity | null;
  /** Whether the node has hardware of its own (RackOptions.boards), kept in its dir. */
  board: boolean;
}

/** The node's IPMI `driver_info` for enrolling it (the password may be overridden to simulate a wrong one). */
export function ipmiDriverInfo(node: SimNode, password = node.password) {
  return { ipmi_address: node.bmcAddress, ipmi_port: node.bmcPort, ipmi_username: node.username, ipmi_password: password };
}

/** The driver and `driver_info` to enroll a node of either kind with. */
export function driverFor(node: SimNode, password = node.password): { driver: 'ipmi' | 'redfish'; driver_info: Record<string, unknown> } {
  if (node.bmc === 'ipmi') return { driver: 'ipmi', driver_info: ipmiDriverInfo(node, password) };
  return {
    driver: 'redfish',
    driver_info: {
      redfish_address: `http://${node.bmcAddress}:${node.bmcPort}`,
      redfish_system_id: node.systemId,
      redfish_username: node.username,
      redfish_password: password,
    },
  };
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

interface Service {
  close(): Promise<void>;
}

/**
 * A simulated rack: per node, a BMC on its own loopback address (ipmi_sim, or a Redfish
 * simulator) in front of the node's chassis (chassis-control.sh: power that takes time, boot
 * overrides for the next boot only), which on a PXE boot starts the node's PXE firmware inside
 * the node's own network namespace with the node's MAC. The firmware boots what the server's
 * boot script for that MAC says: the real agent bundle with the script's kernel command line
 * (callback URL, collectors, BOOTIF, the run's token), or the local disk. Without root (no
 * netns, no port 623) IPMI nodes use ports 6230+i and run on the host network, where their
 * agents report the host's NICs: the server finds them by BMC address instead of MAC.
 * stop() removes everything; start() first removes what a killed rack of the same dir and
 * prefix left.
 */
export class SimRack {
  private readonly services: Service[] = [];
  private readonly options: RackOptions;
  /** The VMs' provisioning network, when RackOptions.provisioning asked for one. */
  provisioning: ProvisioningNetwork | null = null;

  private constructor(
    readonly nodes: SimNode[],
    options: RackOptions,
  ) {
    this.options = { ...options, dir: path.resolve(options.dir) };
  }

  static async start(options: RackOptions): Promise<SimRack> {
    const netns = await canUseNetns();
    const root = process.getuid?.() === 0;
    const rack = new SimRack([], options);
    const o = rack.options;
    await removeRack(o.dir, o.prefix);
    // The nodes boot what a real ramdisk carries: the one-file agent bundle, run by bare node.
    fs.mkdirSync(o.dir, { recursive: true });
    await buildAgent(rack.agentBundle());
    await bundle(path.join(__dirname, 'firmware.ts'), rack.firmwareBundle());
    if (o.boards) await bundle(path.join(__dirname, 'board.ts'), rack.boardBundle());
    try {
      if (o.provisioning) {
        if (!root) throw new Error('a provisioning bridge needs root');
        rack.provisioning = await createProvisioningNetwork(o.prefix, o.net, o.vms ?? []);
      }
      for (let i = 1; i <= o.count; i++) {
        const node = rack.describe(i, netns, root);
        rack.nodes.push(node);
        fs.rmSync(node.dir, { recursive: true, force: true });
        fs.mkdirSync(path.join(node.dir, 'state'), { recursive: true });
        if (netns) await rack.createNamespace(node);
        if (node.board) {
          const hardware = defaultHardware(o.prefix, o.net, i);
          writeHardware(node.dir, hardware);
          cablePort(node.dir, hardware.cable);
        }
        rack.writeNodeFiles(node);
        if (node.bmc === 'redfish') await rack.startRedfish(node);
        else await rack.startIpmi(node);
      }
      const cabled = rack.nodes.filter((node) => node.board);
      if (cabled.length) {
        const ports = new Map(cabled.map((node) => [hostLinkName(o.prefix, node.index), node.dir]));
        rack.services.push(LldpSwitch.start(ports, o.lldpIntervalSeconds ?? 1, path.join(o.dir, 'switch.log')));
      }
    } catch (err) {
      await rack.stop();
      throw err;
    }
    return rack;
  }

  private describe(i: number, netns: boolean, root: boolean): SimNode {
    const o = this.options;
    const name = nodeDirName(o.prefix, i);
    const redfish = o.redfish === 'all' || !!o.redfish?.includes(i);
    const vm = !redfish && o.vms?.includes(i) ? vmIdentity(o.prefix, o.net, i) : null;
    return {
      index: i,
      name,
      dir: path.join(o.dir, name),
      bmc: redfish ? 'redfish' : 'ipmi',
      bmcAddress: o.identity?.[i]?.bmcAddress ?? `127.0.${o.net}.${10 + i}`,
      bmcPort: redfish ? REDFISH_PORT : root ? 623 : 6230 + i,
      username: o.username ?? 'admin',
      password: o.password ?? 'password',
      systemId: REDFISH_SYSTEM_ID,
      mac: o.identity?.[i]?.mac ?? `52:54:00:${hex2(o.net)}:00:${hex2(i)}`,
      netns: netns ? namespaceName(o.prefix, i) : null,
      vm,
      board: !!o.boards && netns && !vm,
    };
  }

  private agentBundle(): string {
    return path.join(this.options.dir, 'agent.js');
  }

  private firmwareBundle(): string {
    return path.join(this.options.dir, 'firmware.js');
  }

  private boardBundle(): string {
    return path.join(this.options.dir, 'board.js');
  }

  private hostSideAddress(i: number): string {
    return `10.${this.options.net}.${i}.1`;
  }

  private async createNamespace(node: SimNode): Promise<void> {
    const ns = node.netns!;
    const i = node.index;
    const hostIf = hostLinkName(this.options.prefix, i);
    await run('ip', ['netns', 'add', ns]);
    await run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await run('ip', ['-n', ns, 'link', 'set', 'eth0', 'address', node.mac]);
    await run('ip', ['addr', 'add', `${this.hostSideAddress(i)}/30`, 'dev', hostIf]);
    await run('ip', ['link', 'set', hostIf, 'up']);
    await run('ip', ['-n', ns, 'addr', 'add', `10.${this.options.net}.${i}.2/30`, 'dev', 'eth0']);
    await run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }

  private writeNodeFiles(node: SimNode): void {
    const o = this.options;
    const i = node.index;
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
    ];
    const board = node.board ? [BOARD_SCRIPT, node.dir, process.execPath, this.boardBundle(), '--'] : [];
    const command = [...board, ...firmware].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const exec = node.netns ? `exec ip netns exec ${node.netns} ${command}` : `exec ${command}`;
    const delay = o.bootDelaySeconds ? `sleep ${o.bootDelaySeconds}\n` : '';
    const bootScript = node.vm
      ? vmBootScript({
          dir: node.dir,
          mac: node.mac,
          inspectorPort: o.inspectorPort,
          identity: node.vm,
          delaySeconds: o.bootDelaySeconds,
          tap: this.provisioning ? tapName(o.prefix, i) : undefined,
        })
      : `#!/usr/bin/env bash\n${delay}${exec}\n`;
    fs.writeFileSync(path.join(node.dir, 'boot.sh'), bootScript);
    fs.writeFileSync(path.join(node.dir, 'fail-boots'), String(o.failBoots?.[i] ?? 0));
    new Chassis(node.dir).configure({
      powerDelaySeconds: o.powerDelaySeconds ?? 1,
      // The expiry is the IPMI boot-flag valid bit's; a Redfish Once override waits for the next boot.
      bootOverrideExpirySeconds: node.bmc === 'ipmi' ? (o.bootOverrideExpirySeconds ?? 60) : 0,
    });
    if (node.bmc === 'redfish') return;
    const guid = `a123456789abcdef${hex2(o.net)}${hex2(i)}`.padEnd(32, '0');
    fs.writeFileSync(
      path.join(node.dir, 'lan.conf'),
      [
        `name "${node.name}"`,
        'set_working_mc 0x20',
        '  startlan 1',
        `    addr ${node.bmcAddress} ${this.isUnkind(node) ? node.bmcPort + PROXIED_IPMI_PORT_OFFSET : node.bmcPort}`,
        '    priv_limit admin',
        ...['callback', 'user', 'operator', 'admin'].map((r) => `    allowed_auths_${r} none md2 md5 straight`),
        `    guid ${guid}`,
        `    lan_config_program "${LAN_CONFIG} ${node.dir}"`,
        '  endlan',
        `  chassis_control "${CHASSIS_CONTROL} ${node.dir}"`,
        ...(node.vm ? [`  ${vmBmcSerial(node.vm)}`] : []),
        `  user 2 true "${node.username}" "${node.password}" admin 10 none md2 md5 straight`,
        '',
      ].join('\n'),
    );
    fs.writeFileSync(
      path.join(node.dir, 'cmds.emu'),
      ['mc_setbmc 0x20', 'mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr', 'sel_enable 0x20 1000 0x0a', 'mc_enable 0x20', ''].join('\n'),
    );
  }

  private unkindness(node: SimNode): Unkindness {
    const o = this.options;
    return { slowMs: o.slow?.[node.index], flaky: o.flaky?.[node.index], busy: o.busy?.[node.index] };
  }

  private isUnkind(node: SimNode): boolean {
    return isUnkind(this.unkindness(node));
  }

  /** What the node's BMC did to be unkind, in NODE_DIR/bmc.log. */
  private bmcLog(node: SimNode): (line: string) => void {
    return (line) => fs.appendFileSync(path.join(node.dir, 'bmc.log'), `${new Date().toISOString()} ${line}\n`);
  }

  private async startRedfish(node: SimNode): Promise<void> {
    const o = this.options;
    const bmc = await RedfishBmc.start({
      address: node.bmcAddress,
      port: node.bmcPort,
      systemId: node.systemId,
      name: node.name,
      uuid: `a1234567-89ab-cdef-${hex2(o.net)}${hex2(node.index)}-000000000000`,
      username: node.username,
      password: node.password,
      chassis: new Chassis(node.dir),
      temper: new Temper(this.unkindness(node), node.index),
      log: this.bmcLog(node),
    });
    this.services.push(bmc);
  }

  private async startIpmi(node: SimNode): Promise<void> {
    const ipmiPort = this.isUnkind(node) ? node.bmcPort + PROXIED_IPMI_PORT_OFFSET : node.bmcPort;
    const log = fs.openSync(path.join(node.dir, 'ipmi_sim.log'), 'a');
    // In the node's dir, its own process group: how cleanup finds it and ends it with its children.
    const child = spawn('ipmi_sim', ['-c', 'lan.conf', '-f', 'cmds.emu', '-s', 'state', '-n'], {
      cwd: node.dir,
      stdio: ['ignore', log, log],
      detached: true,
    });
    fs.closeSync(log);
    child.on('error', () => undefined); // reported below as no answer
    // ipmi_sim reads its config and binds at once; an answer to `power status` means it is up.
    let up = false;
    for (let attempt = 0; attempt < 50 && !up && child.exitCode === null; attempt++) {
      up = await run(
        'ipmitool',
        ['-I', 'lanplus', '-H', node.bmcAddress, '-p', String(ipmiPort), '-U', node.username, '-E', '-C', '3', '-N', '1', '-R', '1', 'power', 'status'],
        { env: { ...process.env, IPMI_PASSWORD: node.password }, timeout: 5000 },
      ).then(
        () => true,
        () => new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 100)),
      );
    }
    if (!up) throw new Error(`ipmi_sim for ${node.name} did not answer on ${node.bmcAddress}:${ipmiPort}; see ${node.dir}/ipmi_sim.log`);
    if (ipmiPort === node.bmcPort) return;
    const proxy = await IpmiProxy.start({
      listen: { address: node.bmcAddress, port: node.bmcPort },
      bmc: { address: node.bmcAddress, port: ipmiPort },
      username: node.username,
      password: node.password,
      temper: new Temper(this.unkindness(node), node.index),
      log: this.bmcLog(node),
    });
    this.services.push(proxy);
  }

  /** True while the node boots or runs its ramdisk (the firmware waits for the agent); false once it booted from disk. */
  agentRunning(node: SimNode): boolean {
    return new Chassis(node.dir).firmwareGroup() !== null;
  }

  /** Power state as the simulated chassis holds it (a change on its way not yet applied). */
  powerState(node: SimNode): 'on' | 'off' {
    return new Chassis(node.dir).powerState();
  }

  /** Removes every BMC, firmware, agent, power timer, namespace and veth of the rack; safe to call more than once. */
  async stop(): Promise<void> {
    await Promise.all(this.services.splice(0).map((service) => service.close()));
    await removeRack(this.options.dir, this.options.prefix);
  }
}

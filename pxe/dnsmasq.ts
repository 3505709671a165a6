import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apiHost, type Config } from '../common/config';
import { findTool } from '../common/tools';
import { startService, type Service } from '../scripts/services';
import { hostsdirOf } from './hostsdir';

// dnsmasq as Introspector's DHCP and TFTP server on the provisioning network (PXE_INTERFACE):
// a server's PXE firmware gets an iPXE binary by TFTP (from Debian's ipxe package), iPXE (its
// DHCP says user class "iPXE") gets the boot service's /boot.ipxe over HTTP. Only MACs the PXE
// filter lets through (pxe/filter.ts, in the hostsdir) get an answer; a MAC with no entry at all,
// before the worker's first sync, gets none.

/** Debian's ipxe package: what a BIOS and a UEFI PXE firmware load. */
const IPXE_DIR = '/usr/lib/ipxe';
const BIOS_IPXE = 'undionly.kpxe';
const UEFI_IPXE = 'snponly.efi';
const READY_LINE = 'DHCP, sockets bound exclusively';
const START_TIMEOUT_MS = 10_000;

export interface DnsmasqFiles {
  conf: string;
  log: string;
  leases: string;
  pid: string;
  tftpRoot: string;
  hostsdir: string;
}

/** Where dnsmasq's files go, for a config with PXE_INTERFACE set. */
export function dnsmasqFiles(config: Config): DnsmasqFiles {
  const dir = path.join(config.INTROSPECTOR_DATA_DIR, 'pxe');
  return {
    conf: path.join(dir, 'dnsmasq.conf'),
    log: path.join(config.INTROSPECTOR_DATA_DIR, 'logs', 'dnsmasq.log'),
    leases: path.join(dir, 'dnsmasq.leases'),
    pid: path.join(dir, 'dnsmasq.pid'),
    tftpRoot: path.join(dir, 'tftp'),
    hostsdir: hostsdirOf(config)!,
  };
}

interface DnsmasqOptions {
  interface: string;
  dhcpRange: string;
  /** What iPXE chains to: http://HOST:PORT/boot.ipxe. */
  bootUrl: string;
  /** Introspector's own user (not dnsmasq's default, nobody): the hostsdir and TFTP root are in a data dir others may not enter. */
  user: string;
  files: DnsmasqFiles;
}

function dnsmasqConfig(o: DnsmasqOptions): string {
  return [
    '# Written by Introspector at each start (pxe/dnsmasq.ts): edits are lost.',
    'port=0',
    `interface=${o.interface}`,
    'bind-interfaces',
    `dhcp-range=${o.dhcpRange}`,
    `dhcp-hostsdir=${o.files.hostsdir}`,
    'dhcp-ignore=tag:!known',
    `dhcp-leasefile=${o.files.leases}`,
    `pid-file=${o.files.pid}`,
    `log-facility=${o.files.log}`,
    'log-dhcp',
    `user=${o.user}`,
    'enable-tftp',
    `tftp-root=${o.files.tftpRoot}`,
    'dhcp-userclass=set:ipxe,iPXE',
    'dhcp-match=set:ipxe,175',
    'dhcp-match=set:efi,option:client-arch,7',
    'dhcp-match=set:efi,option:client-arch,9',
    `dhcp-boot=tag:ipxe,${o.bootUrl}`,
    `dhcp-boot=tag:!ipxe,tag:efi,${UEFI_IPXE}`,
    `dhcp-boot=tag:!ipxe,tag:!efi,${BIOS_IPXE}`,
    '',
  ].join('\n');
}

/** The interface's first IPv4 address, carrier or not (os.networkInterfaces() leaves out a link without one). */
function ipv4Of(name: string): string {
  let address: string | undefined;
  try {
    const links = JSON.parse(execFileSync('ip', ['-j', '-4', 'addr', 'show', 'dev', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    address = links[0]?.addr_info?.[0]?.local;
  } catch {
    // no such interface
  }
  if (!address) throw new Error(`PXE_INTERFACE ${name}: no such interface, or it has no IPv4 address`);
  return address;
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || host.startsWith('127.');

/**
 * The URL iPXE chains to: the boot service (the callback listener, else the inspector API) at
 * PXE_BOOT_HOST or the interface's address. A boot service on loopback only is a mistake said here.
 */
export function bootUrl(config: Config, bootPort: number): string {
  const listens = config.CALLBACK_PORT !== undefined ? (config.CALLBACK_HOST ?? apiHost(config)) : apiHost(config);
  if (isLoopback(listens)) {
    throw new Error(`PXE_INTERFACE is set but the boot service listens on ${listens} only, out of the servers' reach: set API_HOST, or CALLBACK_PORT and CALLBACK_HOST`);
  }
  return `http://${config.PXE_BOOT_HOST ?? ipv4Of(config.PXE_INTERFACE!)}:${bootPort}/boot.ipxe`;
}

/** Copies the iPXE binaries the firmware loads by TFTP into the TFTP root. */
function fillTftpRoot(root: string): void {
  fs.mkdirSync(root, { recursive: true });
  for (const file of [BIOS_IPXE, UEFI_IPXE]) {
    const source = path.join(IPXE_DIR, file);
    if (!fs.existsSync(source)) throw new Error(`${source} is missing: install Debian's ipxe package (scripts/bootstrap.sh does when PXE_INTERFACE is set)`);
    fs.copyFileSync(source, path.join(root, file));
  }
}

/**
 * Starts dnsmasq on PXE_INTERFACE (PXE_DHCP_RANGE required), the boot service on bootPort; resolves once it
 * listens for DHCP, logging to $INTROSPECTOR_DATA_DIR/logs/dnsmasq.log.
 */
export async function startDnsmasq(config: Config, bootPort: number): Promise<Service> {
  if (!config.PXE_INTERFACE) throw new Error('PXE_INTERFACE is not set');
  if (!config.PXE_DHCP_RANGE) throw new Error('PXE_INTERFACE is set: PXE_DHCP_RANGE is needed too, e.g. 10.20.0.100,10.20.0.200,255.255.255.0');
  const files = dnsmasqFiles(config);
  const options: DnsmasqOptions = {
    interface: config.PXE_INTERFACE,
    dhcpRange: config.PXE_DHCP_RANGE,
    bootUrl: bootUrl(config, bootPort),
    user: os.userInfo().username,
    files,
  };
  fillTftpRoot(files.tftpRoot);
  fs.mkdirSync(files.hostsdir, { recursive: true });
  fs.mkdirSync(path.dirname(files.log), { recursive: true });
  fs.writeFileSync(files.conf, dnsmasqConfig(options));
  const logStart = fs.existsSync(files.log) ? fs.statSync(files.log).size : 0;
  const binary = findTool('dnsmasq', config.INTROSPECTOR_TOOLS_DIR);
  const service = startService('dnsmasq', binary, ['--keep-in-foreground', `--conf-file=${files.conf}`], files.log);
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const logged = fs.readFileSync(files.log).subarray(logStart).toString();
    if (logged.includes(READY_LINE)) return service;
    if (service.child.exitCode !== null || Date.now() > deadline) {
      await service.stop();
      throw new Error(`dnsmasq did not start on ${config.PXE_INTERFACE}:\n${logged.trim().split('\n').slice(-10).join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

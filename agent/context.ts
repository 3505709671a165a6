// Everything a collector may touch, injectable so tests can point collectors at
// a fake /sys + /proc tree and keep host tools out of the way.

import os from 'node:os';
import type { Inventory } from '../common/inventory';
import { type Logger, silentLogger } from './log';
import { type Redact, tokenRedactor } from './redact';
import { type Exec, type Which, execCommand, whichCommand } from './sys';

export type NetAddresses = NodeJS.Dict<os.NetworkInterfaceInfo[]>;

export interface CollectorContext {
  /** Filesystem root holding sys/, proc/, dev/, run/ ('/' on a real machine). */
  root: string;
  /** Normalized PXE MAC from BOOTIF, or null. */
  bootif: string | null;
  /** BMC address given by the operator (simulated rack); skips ipmitool. */
  bmcAddress: string | null;
  /** Collector names in the order requested (for payload.configuration). */
  collectors: string[];
  /** Kernel command line parameters (key=value), e.g. ipa-inspection-benchmarks. */
  kernelParams: Record<string, string>;
  log: Logger;
  /** Applied to text that may carry the kernel command line (and so the agent token). */
  redact: Redact;
  exec: Exec;
  which: Which;
  hostname: () => string;
  /** uname -m, e.g. x86_64, aarch64. */
  machine: () => string;
  netAddresses: () => NetAddresses;
  /** Use systeminformation (DMI, SMART, ...) to enrich sysfs data. Only meaningful for root '/'. */
  useSysteminformation: boolean;
  /** Shared between collectors of one run: the inventory built by `default`. */
  state: { inventory?: Inventory };
}

export type ContextOptions = Partial<Omit<CollectorContext, 'state'>>;

export function createContext(options: ContextOptions = {}): CollectorContext {
  const root = options.root ?? '/';
  const real = root === '/';
  return {
    root,
    bootif: options.bootif ?? null,
    bmcAddress: options.bmcAddress ?? null,
    collectors: options.collectors ?? ['default'],
    kernelParams: options.kernelParams ?? {},
    log: options.log ?? silentLogger,
    redact: options.redact ?? tokenRedactor(null),
    exec: options.exec ?? execCommand,
    // Host tools describe the host, not a fake tree: off unless root is '/'.
    which: options.which ?? (real ? whichCommand : async () => null),
    hostname: options.hostname ?? (() => os.hostname()),
    machine: options.machine ?? (() => os.machine()),
    netAddresses: options.netAddresses ?? (real ? () => os.networkInterfaces() : () => ({})),
    useSysteminformation: options.useSysteminformation ?? real,
    state: {},
  };
}

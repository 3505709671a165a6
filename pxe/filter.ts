import type { Config } from '../common/config';
import { normalizeMac } from '../common/mac';
import type { NodeRegistry } from '../nodes';
import { HostsDir, hostsdirOf, type Verdict } from './hostsdir';

// The PXE filter, with ironic's rule: Introspector's dnsmasq answers DHCP only for servers it
// means to boot.
// - The MAC of a port whose node is being introspected (has an open run): answered.
// - Every other enrolled MAC: ignored, so a server in use that PXE boots stays off the ramdisk.
// - Any other MAC (the wildcard, and the MAC of a port deleted since): answered while discovery
//   is on, or while a node being introspected has no PXE-enabled port (enrolled by its BMC alone,
//   it boots from a NIC nobody enrolled, and its callback finds it by BMC address: ironic
//   answers unknown MACs during any introspection for this); ignored otherwise.

/** What the rule is computed from: every port's MAC (or one node's) with whether its node has an open run. */
export interface FilterView {
  ports: { address: string; open: boolean }[];
  /** A node being introspected has no PXE-enabled port. */
  openWithoutPxePort: boolean;
}

export interface FilterRule {
  macs: Map<string, Verdict>;
  unknown: Verdict;
}

export function filterRule(view: FilterView, discovery: boolean): FilterRule {
  const macs = new Map<string, Verdict>();
  for (const port of view.ports) {
    const mac = normalizeMac(port.address);
    if (mac) macs.set(mac, port.open ? 'allow' : 'deny');
  }
  return { macs, unknown: discovery || view.openWithoutPxePort ? 'allow' : 'deny' };
}

export interface SyncResult {
  /** MACs allowed and denied: every file's after a full sync, the node's after syncNode. */
  allowed: number;
  denied: number;
  unknown: Verdict;
  /** Files written by this sync: only those whose verdict changed. */
  written: number;
}

/**
 * Keeps a dhcp-hostsdir saying what the registry says. Workers sharing a hostsdir each keep a
 * cache of their own; a file is put right by the next sync of whichever worker wrote it last
 * (it cached what it wrote).
 */
export class PxeFilter {
  /** What the files say: read once, then kept as written. */
  private files: ReturnType<HostsDir['read']> | undefined;
  private last: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly hostsdir: HostsDir,
    /** The view of every port, or of one node's given its uuid. */
    private readonly view: (nodeUuid?: string) => Promise<FilterView>,
    private readonly discovery: boolean,
  ) {}

  /** Brings every file up to date with the registry, one sync at a time (a full sync: safe to repeat). */
  sync(): Promise<SyncResult> {
    return this.queued(() => this.syncNow());
  }

  /**
   * Brings the node's MAC files and the wildcard up to date, on the same queue: what a run's
   * open and close change, without reading every port, while unknown MACs are ignored (a MAC
   * without its file is then ignored too); while they are answered (discovery, or a node being
   * introspected has no PXE port), a full sync. Ports added, changed or deleted through the API
   * wait for the next full sync otherwise.
   */
  syncNode(nodeUuid: string): Promise<SyncResult> {
    return this.queued(() => this.syncNow(nodeUuid));
  }

  /** Resolves once no sync is running. */
  async idle(): Promise<void> {
    await this.last;
  }

  private queued(run: () => Promise<SyncResult>): Promise<SyncResult> {
    const next = this.last.then(run);
    this.last = next.catch(() => undefined);
    return next;
  }

  /** Writes the files of every MAC the view holds whose verdict changed, and the wildcard's. */
  private async syncNow(nodeUuid?: string): Promise<SyncResult> {
    const rule = filterRule(await this.view(nodeUuid), this.discovery);
    // While unknown MACs are answered, an enrolled MAC without its file would be answered too
    // (a port added since the last full sync): only a full sync makes that safe.
    if (nodeUuid !== undefined && rule.unknown === 'allow') return this.syncNow();
    const files = (this.files ??= this.hostsdir.read());
    // A MAC no port has any more keeps its file (dnsmasq would keep its last entry): it says what the wildcard says.
    // Only the full view tells which MACs no port has.
    if (nodeUuid === undefined) for (const mac of files.macs.keys()) if (!rule.macs.has(mac)) rule.macs.set(mac, rule.unknown);
    let written = 0;
    for (const [mac, verdict] of rule.macs) {
      if (files.macs.get(mac) === verdict) continue;
      this.hostsdir.writeMac(mac, verdict);
      files.macs.set(mac, verdict);
      written++;
    }
    if (files.unknown !== rule.unknown) {
      this.hostsdir.writeUnknown(rule.unknown);
      files.unknown = rule.unknown;
      written++;
    }
    const allowed = [...rule.macs.values()].filter((v) => v === 'allow').length;
    return { allowed, denied: rule.macs.size - allowed, unknown: rule.unknown, written };
  }
}

/** The filter over the registry's ports and runs when a hostsdir is configured (PXE_HOSTSDIR or PXE_INTERFACE). */
export function pxeFilterFor(config: Config, registry: NodeRegistry): PxeFilter | null {
  const dir = hostsdirOf(config);
  if (!dir) return null;
  const view = async (nodeUuid?: string) => ({
    ports: await registry.runs.portMacs(nodeUuid),
    openWithoutPxePort: await registry.runs.anyOpenWithoutPxePort(),
  });
  return new PxeFilter(new HostsDir(dir), view, config.DISCOVERY_ENABLED);
}

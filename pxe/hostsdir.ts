import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../common/config';
import { normalizeMac } from '../common/mac';

// dnsmasq's dhcp-hostsdir as the PXE filter keeps it (ironic's dnsmasq filter's layout): a file
// per MAC, named by the MAC, holding `<mac>` (answer it) or `<mac>,ignore`, and one wildcard
// file for every MAC without a file of its own (dnsmasq prefers an exact MAC to the wildcard).
// dnsmasq reads a file again when it is created or replaced (inotify) but forgets nothing when
// one is deleted or emptied: a MAC's file is rewritten, never removed. Files are replaced by a
// rename of a dotfile, which dnsmasq's inotify skips, so it never reads one half-written.

export type Verdict = 'allow' | 'deny';

/** The wildcard's file (ironic's name, so a hostsdir ironic kept reads the same). */
export const UNKNOWN_HOSTS_FILE = 'unknown_hosts_filter';
const WILDCARD = '*:*:*:*:*:*';

const entry = (host: string, verdict: Verdict) => `${host}${verdict === 'deny' ? ',ignore' : ''}\n`;

/** The verdict a file says for its host; null for content the filter did not write. */
function verdictOf(host: string, content: string): Verdict | null {
  if (content === entry(host, 'allow')) return 'allow';
  return content === entry(host, 'deny') ? 'deny' : null;
}

/** Where the filter writes and dnsmasq reads: PXE_HOSTSDIR, else the data dir's when Introspector runs dnsmasq; null: no filter. */
export function hostsdirOf(config: Config): string | null {
  return config.PXE_HOSTSDIR ?? (config.PXE_INTERFACE ? path.join(config.INTROSPECTOR_DATA_DIR, 'pxe', 'hostsdir') : null);
}

export class HostsDir {
  constructor(readonly dir: string) {}

  /**
   * The verdicts the files hold now, by MAC; `unknown` for the wildcard. A file of other content
   * reads as null (it gets rewritten); files not named by a MAC are not the filter's and are left alone.
   */
  read(): { macs: Map<string, Verdict | null>; unknown: Verdict | null } {
    fs.mkdirSync(this.dir, { recursive: true });
    const macs = new Map<string, Verdict | null>();
    let unknown: Verdict | null = null;
    for (const name of fs.readdirSync(this.dir)) {
      if (name === UNKNOWN_HOSTS_FILE) unknown = verdictOf(WILDCARD, this.content(name));
      else if (normalizeMac(name) === name) macs.set(name, verdictOf(name, this.content(name)));
    }
    return { macs, unknown };
  }

  /** Writes a MAC's file (a normalized MAC). */
  writeMac(mac: string, verdict: Verdict): void {
    this.replace(mac, entry(mac, verdict));
  }

  writeUnknown(verdict: Verdict): void {
    this.replace(UNKNOWN_HOSTS_FILE, entry(WILDCARD, verdict));
  }

  private content(name: string): string {
    try {
      return fs.readFileSync(path.join(this.dir, name), 'utf8');
    } catch {
      return ''; // gone, or not a file: rewritten like any content the filter did not write
    }
  }

  private replace(name: string, content: string): void {
    const temp = path.join(this.dir, `.${name}.${process.pid}`);
    fs.writeFileSync(temp, content, { mode: 0o644 });
    fs.renameSync(temp, path.join(this.dir, name));
  }
}

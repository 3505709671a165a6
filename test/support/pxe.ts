import fs from 'node:fs';
import path from 'node:path';
import { aptInstall } from './ramdisk';

const installed = (command: string) => (process.env.PATH ?? '').split(path.delimiter).some((dir) => fs.existsSync(path.join(dir, command)));

/**
 * What a test serving DHCP needs, on a fresh machine too (apt-get, as root): dnsmasq, Debian's
 * iPXE binaries it hands out by TFTP, and a DHCP client (busybox's udhcpc; any busybox has it).
 */
export function ensurePxePrerequisites(): void {
  const missing = [
    ...(installed('dnsmasq') ? [] : ['dnsmasq-base']),
    ...(fs.existsSync('/usr/lib/ipxe/undionly.kpxe') && fs.existsSync('/usr/lib/ipxe/snponly.efi') ? [] : ['ipxe']),
    ...(installed('busybox') ? [] : ['busybox-static']),
  ];
  if (missing.length) aptInstall(missing);
}

/** The lines of dnsmasq's log (log-dhcp) that say it ignored this MAC's DHCP. */
export function ignoredLines(log: string, mac: string): string[] {
  return log.split('\n').filter((line) => line.includes(` ${mac} ignored`));
}

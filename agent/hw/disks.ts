// Block devices from /sys/block, in IPA's BlockDevice shape. IPA uses lsblk +
// udev; we read the same facts from sysfs (size in 512-byte sectors, queue/*,
// device/*), the udev database in /run/udev/data when present, and
// /dev/disk/by-path. Devices without a `device` link (loop, zram, ram, dm-*)
// and optical/floppy drives are not disks for inspection; software RAID arrays
// (md devices of a raid level) are, as IPA lists lsblk's `raid*` types with disks.

import path from 'node:path';
import type { Disk } from '../../common/inventory';
import type { CollectorContext } from '../context';
import { exists, listDir, readInt, readLink, readText, realPath, under } from '../sys';

const GiB = 1024 * 1024 * 1024;

/** Parse a udev database file (`E:KEY=value`, `S:symlink`). */
export function parseUdevData(text: string | null): { env: Record<string, string>; links: string[] } {
  const env: Record<string, string> = {};
  const links: string[] = [];
  for (const line of (text ?? '').split('\n')) {
    if (line.startsWith('E:')) {
      const eq = line.indexOf('=');
      if (eq > 2) env[line.slice(2, eq)] = line.slice(eq + 1).trim();
    } else if (line.startsWith('S:')) {
      links.push(line.slice(2).trim());
    }
  }
  return { env, links };
}

/** SCSI/NVMe wwid to IPA's wwn form where there is one ("naa.5000c5..." -> "0x5000c5..."). */
export function wwnFromWwid(wwid: string | null): string | null {
  if (!wwid) return null;
  const naa = wwid.match(/^naa\.([0-9a-fA-F]+)$/);
  if (naa) return `0x${naa[1].toLowerCase()}`;
  return wwid.trim() || null;
}

function clean(value: string | null | undefined): string | null {
  const text = value?.replace(/\s+/g, ' ').trim();
  return text ? text : null;
}

async function byPathLinks(root: string): Promise<Map<string, string>> {
  const dir = under(root, 'dev/disk/by-path');
  const map = new Map<string, string>();
  for (const entry of await listDir(dir)) {
    if (/-part\d+$/.test(entry)) continue;
    const target = await readLink(under(dir, entry));
    if (!target) continue;
    const device = path.basename(target);
    if (!map.has(device)) map.set(device, `/dev/disk/by-path/${entry}`);
  }
  return map;
}

async function siDisks(ctx: CollectorContext) {
  if (!ctx.useSysteminformation) return new Map<string, { model: string; vendor: string; serial: string }>();
  const map = new Map<string, { model: string; vendor: string; serial: string }>();
  try {
    const si = await import('systeminformation');
    for (const d of await si.diskLayout()) {
      map.set(path.basename(d.device || ''), { model: d.name, vendor: d.vendor, serial: d.serialNum });
    }
  } catch (error) {
    ctx.log.debug('systeminformation diskLayout() failed', { error: String(error) });
  }
  return map;
}

/** An md array of a RAID level (lsblk TYPE raid0, raid1, raid10, ...; not linear or a container). */
export async function isRaidArray(root: string, name: string): Promise<boolean> {
  if (!name.startsWith('md')) return false;
  return (await readText(under(root, 'sys/block', name, 'md/level')))?.startsWith('raid') ?? false;
}

export async function isInspectableDisk(root: string, name: string): Promise<boolean> {
  if (await isRaidArray(root, name)) return true;
  if (/^(loop|ram|zram|dm-|md|sr|fd|nbd)/.test(name)) return false;
  const dir = under(root, 'sys/block', name);
  if (!(await exists(under(dir, 'device')))) return false;
  // SCSI peripheral type 5 is a CD/DVD drive.
  if ((await readText(under(dir, 'device/type'))) === '5') return false;
  return true;
}

/** The SCSI host's class attribute, e.g. /sys/class/fc_host/host3/symbolic_name. */
const hostClass = (root: string, type: string, host: string, attribute = '') => under(root, 'sys/class', `${type}_host`, `host${host}`, attribute);

/**
 * The transport as lsblk's TRAN column reports it: for SCSI disks from the SCSI
 * host's transport class (spi, fc/fcoe, sas, iscsi), the device path (usb), the
 * FireWire id (sbp) or the host driver's name (ahci/sata* -> sata, *ata* -> ata);
 * otherwise from the name (nvme, virtio). Null when none applies.
 */
export async function transport(root: string, name: string, hctl: string | null): Promise<string | null> {
  const dir = under(root, 'sys/block', name);
  if (hctl) {
    const host = hctl.split(':')[0];
    if (await exists(hostClass(root, 'spi', host))) return 'spi';
    if (await exists(hostClass(root, 'fc', host))) {
      return (await readText(hostClass(root, 'fc', host, 'symbolic_name')))?.includes(' over ') ? 'fcoe' : 'fc';
    }
    if ((await exists(hostClass(root, 'sas', host))) || (await exists(under(dir, 'device/sas_device')))) return 'sas';
    if (await exists(under(dir, 'device/ieee1394_id'))) return 'sbp';
    if (await exists(hostClass(root, 'iscsi', host))) return 'iscsi';
    if ((await realPath(under(dir, 'device')))?.includes('usb')) return 'usb';
    const driver = await readText(hostClass(root, 'scsi', host, 'proc_name'));
    if (driver?.startsWith('ahci') || driver?.startsWith('sata')) return 'sata';
    if (driver?.includes('ata')) return 'ata';
    return null;
  }
  if (name.startsWith('nvme')) return 'nvme';
  if (name.startsWith('vd')) return 'virtio'; // util-linux 2.39 and later
  return null;
}

export async function listDisks(ctx: CollectorContext): Promise<Disk[]> {
  const base = under(ctx.root, 'sys/block');
  const byPath = await byPathLinks(ctx.root);
  const si = await siDisks(ctx);
  const disks: Disk[] = [];
  for (const name of await listDir(base)) {
    if (!(await isInspectableDisk(ctx.root, name))) continue;
    const dir = under(base, name);
    const sectors = await readInt(under(dir, 'size'));
    if (sectors === null || sectors < 0) {
      ctx.log.warn('disk has no readable size, skipped', { disk: name });
      continue;
    }
    const devNumber = await readText(under(dir, 'dev'));
    const udev = parseUdevData(devNumber ? await readText(under(ctx.root, 'run/udev/data', `b${devNumber}`)) : null);
    const rotational = await readText(under(dir, 'queue/rotational'));
    const hctl = (await listDir(under(dir, 'device/scsi_device')))[0] ?? null;
    const udevByPath = udev.links.find((l) => l.startsWith('disk/by-path/') && !/-part\d+$/.test(l));
    const fromSi = si.get(name);
    disks.push({
      name: `/dev/${name}`,
      model: clean(await readText(under(dir, 'device/model'))) ?? clean(udev.env.ID_MODEL) ?? clean(fromSi?.model),
      size: sectors * 512,
      rotational: rotational === '1' ? true : rotational === '0' ? false : null,
      wwn: clean(udev.env.ID_WWN) ?? wwnFromWwid((await readText(under(dir, 'wwid'))) ?? (await readText(under(dir, 'device/wwid')))),
      serial:
        clean(udev.env.ID_SERIAL_SHORT) ??
        clean(await readText(under(dir, 'device/serial'))) ??
        clean(await readText(under(dir, 'serial'))) ??
        clean(fromSi?.serial),
      vendor: clean(await readText(under(dir, 'device/vendor'))) ?? clean(udev.env.ID_VENDOR) ?? clean(fromSi?.vendor),
      wwn_with_extension: clean(udev.env.ID_WWN_WITH_EXTENSION),
      wwn_vendor_extension: clean(udev.env.ID_WWN_VENDOR_EXTENSION),
      hctl,
      by_path: udevByPath ? `/dev/${udevByPath}` : (byPath.get(name) ?? null),
      logical_sectors: await readInt(under(dir, 'queue/logical_block_size')),
      physical_sectors: await readInt(under(dir, 'queue/physical_block_size')),
      tran: await transport(ctx.root, name, hctl),
    });
  }
  return disks;
}

/** IPA's guess_root_disk: the smallest disk of at least 4 GiB, or null. */
export function guessRootDisk(disks: Disk[], minSizeGiB = 4): Disk | null {
  const sorted = [...disks].sort((a, b) => a.size - b.size);
  return sorted.find((d) => d.size >= minSizeGiB * GiB) ?? null;
}

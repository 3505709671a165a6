// What changed in a node's hardware between two processed introspections (`inspector_data-<uuid>`).
// Pure and bounded: inputs are read loosely (a missing section is "unknown", never an error).

import { MAX_DISKS, MAX_INTERFACES, MAX_PCI_DEVICES, memoryMib } from './inventory';
import { lldpNeighbour } from './lldp-tlv';
import { normalizeMac } from './mac';

/** Sections in the order changes are listed. */
export const DIFF_SECTIONS = ['system', 'firmware', 'cpu', 'memory', 'dimms', 'disks', 'nics', 'pci'] as const;
export type DiffSection = (typeof DIFF_SECTIONS)[number];

/** The kinds of change each section can report (every one is counted in the summary, zero included). */
export const SECTION_KINDS = {
  system: ['changed'],
  firmware: ['changed'],
  cpu: ['changed'],
  memory: ['changed'],
  dimms: ['added', 'removed', 'replaced', 'resized'],
  disks: ['added', 'removed', 'replaced', 'resized', 'moved'],
  nics: ['added', 'removed', 'speed', 'moved'],
  pci: ['added', 'removed', 'moved'],
} as const satisfies Record<DiffSection, readonly string[]>;
export type ChangeKind = (typeof SECTION_KINDS)[DiffSection][number];

export interface HardwareChange {
  section: DiffSection;
  kind: ChangeKind;
  /** What changed: a disk or NIC name, a DIMM slot, a PCI vendor:product, a field name. */
  what: string;
  from: string | number | null;
  to: string | number | null;
}

export interface HardwareDiff {
  changes: HardwareChange[];
  /** What could not be compared because one side lacks it (e.g. `dimms`, `firmware.bmc`). */
  unknown: string[];
}

const MAX_DIMMS = 1024;
const MAX_TEXT = 256;

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null);
const list = (v: unknown, max: number): unknown[] => (Array.isArray(v) ? v.slice(0, max) : []);
const text = (v: unknown): string | null => {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') return null;
  const t = v.trim().slice(0, MAX_TEXT);
  return t ? t : null;
};
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const GiB = 1024 ** 3;

/** Bytes as people read sizes: `16 GiB`, `447.1 GiB`, `512 MiB`. */
export function formatBytes(bytes: number): string {
  if (Math.abs(bytes) >= GiB) return `${Number((bytes / GiB).toFixed(1))} GiB`;
  return `${Number((bytes / 1024 ** 2).toFixed(1))} MiB`;
}

const DMI_UNITS = new Map([
  ['kb', 1024],
  ['mb', 1024 ** 2],
  ['gb', GiB],
  ['tb', 1024 ** 4],
]);

/** dmidecode's `16 GB`, `16384 MB`, `No Module Installed` to bytes (null for an empty slot or unreadable). */
function dmiSize(value: unknown): number | null {
  if (typeof value === 'number') return value > 0 ? value : null;
  const t = text(value);
  if (!t) return null;
  const [amount, unit] = t.split(/\s+/, 2);
  const n = Number(amount);
  const scale = DMI_UNITS.get((unit ?? '').toLowerCase());
  return Number.isFinite(n) && n > 0 && scale ? n * scale : null;
}

const inventoryOf = (data: unknown): Obj => obj(obj(data)?.inventory) ?? {};

/** A field compared when both sides know it; one side unknown → listed as unknown. */
function compareField(
  out: HardwareDiff,
  section: DiffSection,
  what: string,
  from: string | number | null,
  to: string | number | null,
): void {
  if (from === null || to === null) out.unknown.push(`${section}.${what}`);
  else if (from !== to) out.changes.push({ section, kind: 'changed', what, from, to });
}

// --- system and firmware -------------------------------------------------------------

function systemVendor(data: unknown): Obj {
  return obj(inventoryOf(data).system_vendor) ?? {};
}

/**
 * A firmware version: BIOS from system_vendor.firmware, else dmidecode's bios, else the hardware collector's
 * firmware/bios; BMC from an inventory bmc_firmware_version if an agent sends one, else the hardware collector's firmware/bmc.
 */
export function firmwareVersion(data: unknown, item: 'bios' | 'bmc'): string | null {
  const d = obj(data);
  const collected = text(obj(obj(obj(d?.extra)?.firmware)?.[item])?.version);
  if (item === 'bmc') return text(inventoryOf(data).bmc_firmware_version) ?? collected;
  return text(obj(systemVendor(data).firmware)?.version) ?? text(obj(obj(d?.dmi)?.bios)?.Version) ?? collected;
}

// --- memory ----------------------------------------------------------------------------

interface Dimm {
  slot: string;
  size: number;
  serial: string | null;
}

/** Populated DIMMs by slot: dmidecode's memory devices, else the hardware collector's memory banks; null if neither. */
function dimms(data: unknown): Map<string, Dimm> | null {
  const d = obj(data);
  const devices = obj(obj(d?.dmi)?.memory)?.devices;
  if (Array.isArray(devices)) {
    const out = new Map<string, Dimm>();
    for (const dev of list(devices, MAX_DIMMS)) {
      const o = obj(dev);
      const locator = text(o?.Locator);
      const size = dmiSize(o?.Size);
      if (!o || !locator || size === null) continue;
      const bank = text(o['Bank Locator']);
      const slot = bank && !locator.includes(bank) ? `${bank}/${locator}` : locator;
      out.set(slot, { slot, size, serial: text(o['Serial Number']) });
    }
    return out;
  }
  const memory = obj(obj(d?.extra)?.memory);
  if (!memory) return null;
  const out = new Map<string, Dimm>();
  for (const [key, value] of Object.entries(memory).slice(0, MAX_DIMMS)) {
    const bank = obj(value);
    if (!key.startsWith('bank') || !bank) continue;
    const size = num(bank.size) ?? dmiSize(bank.size);
    if (size === null || size <= 0) continue;
    const slot = text(bank.slot) ?? key;
    out.set(slot, { slot, size, serial: text(bank.serial) });
  }
  return out.size > 0 ? out : null;
}

const memoryMb = (data: unknown) => memoryMib(inventoryOf(data).memory);

function diffDimms(out: HardwareDiff, from: unknown, to: unknown): void {
  const a = dimms(from);
  const b = dimms(to);
  if (!a || !b) {
    out.unknown.push('dimms');
    return;
  }
  for (const [slot, old] of a) {
    const now = b.get(slot);
    if (!now) out.changes.push({ section: 'dimms', kind: 'removed', what: slot, from: formatBytes(old.size), to: null });
    else if (old.serial && now.serial && old.serial !== now.serial)
      out.changes.push({ section: 'dimms', kind: 'replaced', what: slot, from: old.serial, to: now.serial });
    else if (old.size !== now.size)
      out.changes.push({ section: 'dimms', kind: 'resized', what: slot, from: formatBytes(old.size), to: formatBytes(now.size) });
  }
  for (const [slot, now] of b) {
    if (!a.has(slot)) out.changes.push({ section: 'dimms', kind: 'added', what: slot, from: null, to: formatBytes(now.size) });
  }
}

// --- disks -------------------------------------------------------------------------------

interface DiskInfo {
  name: string;
  serial: string | null;
  wwn: string | null;
  size: number | null;
  /** Where it sits: by_path, else hctl, else name. */
  place: string;
  location: string;
}

function disks(data: unknown): DiskInfo[] | null {
  const raw = inventoryOf(data).disks;
  if (!Array.isArray(raw)) return null;
  const out: DiskInfo[] = [];
  for (const d of list(raw, MAX_DISKS)) {
    const o = obj(d);
    const full = text(o?.name);
    if (!o || !full) continue;
    const name = full.startsWith('/dev/') ? full.slice(5) : full;
    const hctl = text(o.hctl);
    const byPath = text(o.by_path);
    out.push({
      name,
      serial: text(o.serial)?.toLowerCase() === 'none' ? null : text(o.serial),
      wwn: text(o.wwn_with_extension) ?? text(o.wwn),
      size: num(o.size),
      place: byPath ?? hctl ?? name,
      location: [name, hctl, byPath].filter(Boolean).join(' '),
    });
  }
  return out;
}

const diskId = (d: DiskInfo) => d.serial ?? d.wwn ?? d.name;
const diskLabel = (d: DiskInfo) => [d.serial ?? d.wwn, d.size === null ? null : formatBytes(d.size)].filter(Boolean).join(', ');

/** Pairs old and new disks: by serial, then WWN, then (neither known) by name. */
function matchDisks(a: DiskInfo[], b: DiskInfo[]): { pairs: [DiskInfo, DiskInfo][]; gone: DiskInfo[]; fresh: DiskInfo[] } {
  const pairs: [DiskInfo, DiskInfo][] = [];
  const gone = [...a];
  const fresh = [...b];
  const pass = (key: (d: DiskInfo) => string | null) => {
    for (let i = 0; i < gone.length; ) {
      const k = key(gone[i]);
      const j = k === null ? -1 : fresh.findIndex((d) => key(d) === k);
      if (j < 0) {
        i++;
        continue;
      }
      pairs.push([gone[i], fresh[j]]);
      gone.splice(i, 1);
      fresh.splice(j, 1);
    }
  };
  pass((d) => d.serial);
  pass((d) => d.wwn);
  pass((d) => (d.serial === null && d.wwn === null ? d.name : null));
  return { pairs, gone, fresh };
}

function diffDisks(out: HardwareDiff, from: unknown, to: unknown): void {
  const a = disks(from);
  const b = disks(to);
  if (!a || !b) {
    out.unknown.push('disks');
    return;
  }
  const { pairs, gone, fresh } = matchDisks(a, b);
  for (const [old, now] of pairs) {
    if (old.size !== null && now.size !== null && old.size !== now.size)
      out.changes.push({ section: 'disks', kind: 'resized', what: now.name, from: formatBytes(old.size), to: formatBytes(now.size) });
    if (old.location !== now.location) out.changes.push({ section: 'disks', kind: 'moved', what: diskId(now), from: old.location, to: now.location });
  }
  // A new disk where an unmatched old one sat (same by_path/hctl/name) replaced it.
  for (const old of gone) {
    const j = fresh.findIndex((d) => d.place === old.place);
    if (j >= 0) {
      const [now] = fresh.splice(j, 1);
      out.changes.push({ section: 'disks', kind: 'replaced', what: now.name, from: diskId(old), to: diskId(now) });
    } else {
      out.changes.push({ section: 'disks', kind: 'removed', what: old.name, from: diskLabel(old), to: null });
    }
  }
  for (const now of fresh) out.changes.push({ section: 'disks', kind: 'added', what: now.name, from: null, to: diskLabel(now) });
}

// --- NICs -------------------------------------------------------------------------------

interface Nic {
  name: string;
  mac: string;
  speed: number | null;
  /** Switch chassis ID and port ID from LLDP; null without LLDP. */
  link: string | null;
  /** The same as people name it: the switch's system name (else chassis ID) and port. */
  linkLabel: string | null;
}


function nics(data: unknown): Map<string, Nic> | null {
  const d = obj(data);
  const raw = inventoryOf(data).interfaces;
  if (!d || !Array.isArray(raw)) return null;
  const out = new Map<string, Nic>();
  for (const i of list(raw, MAX_INTERFACES)) {
    const o = obj(i);
    const name = text(o?.name);
    const mac = normalizeMac(o?.mac_address);
    if (!o || !name || !mac || name === 'lo') continue;
    const lldp = lldpNeighbour(d, { name, lldp: o.lldp });
    const chassis = text(lldp?.switch_chassis_id);
    const port = text(lldp?.switch_port_id);
    const known = chassis !== null && port !== null;
    out.set(mac, {
      name,
      mac,
      speed: num(o.speed_mbps),
      link: known ? `${chassis} ${port}` : null,
      linkLabel: known ? `${text(lldp?.switch_system_name) ?? chassis} ${port}` : null,
    });
  }
  return out;
}

function diffNics(out: HardwareDiff, from: unknown, to: unknown): void {
  const a = nics(from);
  const b = nics(to);
  if (!a || !b) {
    out.unknown.push('nics');
    return;
  }
  for (const [mac, old] of a) {
    const now = b.get(mac);
    if (!now) {
      out.changes.push({ section: 'nics', kind: 'removed', what: `${old.name} ${mac}`, from: old.linkLabel ?? mac, to: null });
      continue;
    }
    const what = `${now.name} ${mac}`;
    if (old.speed !== null && now.speed !== null && old.speed !== now.speed)
      out.changes.push({ section: 'nics', kind: 'speed', what, from: old.speed, to: now.speed });
    if (old.link && now.link && old.link !== now.link) {
      const named = old.linkLabel !== now.linkLabel;
      out.changes.push({ section: 'nics', kind: 'moved', what, from: named ? old.linkLabel : old.link, to: named ? now.linkLabel : now.link });
    }
  }
  for (const [mac, now] of b) {
    if (!a.has(mac)) out.changes.push({ section: 'nics', kind: 'added', what: `${now.name} ${mac}`, from: null, to: now.linkLabel ?? mac });
  }
}

// --- PCI --------------------------------------------------------------------------------

/** vendor:product → sorted bus addresses. */
function pci(data: unknown): Map<string, string[]> | null {
  const raw = obj(data)?.pci_devices;
  if (!Array.isArray(raw)) return null;
  const out = new Map<string, string[]>();
  for (const dev of list(raw, MAX_PCI_DEVICES)) {
    const o = obj(dev);
    const vendor = text(o?.vendor_id)?.toLowerCase().replace(/^0x/, '');
    const product = text(o?.product_id)?.toLowerCase().replace(/^0x/, '');
    if (!vendor || !product) continue;
    const key = `${vendor}:${product}`;
    const buses = out.get(key) ?? [];
    buses.push(text(o?.bus) ?? '?');
    out.set(key, buses);
  }
  for (const buses of out.values()) buses.sort();
  return out;
}

function diffPci(out: HardwareDiff, from: unknown, to: unknown): void {
  const a = pci(from);
  const b = pci(to);
  if (!a || !b) {
    out.unknown.push('pci');
    return;
  }
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const old = a.get(key) ?? [];
    const now = b.get(key) ?? [];
    if (now.length > old.length) out.changes.push({ section: 'pci', kind: 'added', what: key, from: old.length, to: now.length });
    else if (now.length < old.length) out.changes.push({ section: 'pci', kind: 'removed', what: key, from: old.length, to: now.length });
    else if (old.join(' ') !== now.join(' ')) out.changes.push({ section: 'pci', kind: 'moved', what: key, from: old.join(' '), to: now.join(' ') });
  }
}

// --- the diff -----------------------------------------------------------------------------

const sectionRank = (s: DiffSection) => DIFF_SECTIONS.indexOf(s);

/** The hardware changes from one processed introspection data object to another, in a stable order. */
export function diffHardware(from: unknown, to: unknown): HardwareDiff {
  const out: HardwareDiff = { changes: [], unknown: [] };
  const sa = systemVendor(from);
  const sb = systemVendor(to);
  compareField(out, 'system', 'serial', text(sa.serial_number), text(sb.serial_number));
  compareField(out, 'system', 'product', text(sa.product_name), text(sb.product_name));
  compareField(out, 'firmware', 'bios', firmwareVersion(from, 'bios'), firmwareVersion(to, 'bios'));
  compareField(out, 'firmware', 'bmc', firmwareVersion(from, 'bmc'), firmwareVersion(to, 'bmc'));
  const ca = obj(inventoryOf(from).cpu);
  const cb = obj(inventoryOf(to).cpu);
  compareField(out, 'cpu', 'model', text(ca?.model_name), text(cb?.model_name));
  compareField(out, 'cpu', 'count', num(ca?.count), num(cb?.count));
  compareField(out, 'cpu', 'sockets', num(ca?.socket_count), num(cb?.socket_count));
  compareField(out, 'memory', 'total_mb', memoryMb(from), memoryMb(to));
  diffDimms(out, from, to);
  diffDisks(out, from, to);
  diffNics(out, from, to);
  diffPci(out, from, to);
  const key = (c: HardwareChange) => `${c.what}\u0000${c.kind}`;
  out.changes.sort((x, y) => sectionRank(x.section) - sectionRank(y.section) || (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
  out.unknown.sort();
  return out;
}

// --- the summary ---------------------------------------------------------------------------

export type SectionCounts<S extends DiffSection> = Record<(typeof SECTION_KINDS)[S][number], number>;

/** What processing stores as `hardware_changes` for the rules: counts per section and kind, zeros included. */
export type HardwareChangeSummary = { [S in DiffSection]: SectionCounts<S> } & {
  changed: boolean;
  total: number;
  unknown: string[];
  /** One line: `disk sdb serial S1->S2 replaced; DIMM B1 removed (-16 GiB)`, or `no hardware change`. */
  text: string;
};

const MAX_SUMMARY_CHANGES = 5;

const NOUN: Record<DiffSection, string> = {
  system: 'system',
  firmware: 'firmware',
  cpu: 'CPU',
  memory: 'memory',
  dimms: 'DIMM',
  disks: 'disk',
  nics: 'NIC',
  pci: 'PCI',
};

/** One change as a short phrase. */
export function describeChange(c: HardwareChange): string {
  const noun = `${NOUN[c.section]} ${c.what}`;
  const arrow = `${c.from ?? '-'}->${c.to ?? '-'}`;
  switch (c.kind) {
    case 'added':
      return c.section === 'pci' ? `${noun} added (${arrow})` : `${noun} added (+${c.to ?? '?'})`;
    case 'removed':
      return c.section === 'pci' ? `${noun} removed (${arrow})` : `${noun} removed (-${c.from ?? '?'})`;
    case 'replaced':
      return `${noun} serial ${arrow} replaced`;
    case 'changed':
      return `${noun} ${arrow}`;
    default:
      return `${noun} ${c.kind} ${arrow}`;
  }
}

export function summarizeDiff(diff: HardwareDiff): HardwareChangeSummary {
  const sections = Object.fromEntries(
    DIFF_SECTIONS.map((s) => [s, Object.fromEntries(SECTION_KINDS[s].map((k) => [k, 0]))]),
  ) as Record<DiffSection, Record<string, number>>;
  for (const c of diff.changes) sections[c.section][c.kind] = (sections[c.section][c.kind] ?? 0) + 1;
  const total = diff.changes.length;
  const shown = diff.changes.slice(0, MAX_SUMMARY_CHANGES).map(describeChange);
  if (total > shown.length) shown.push(`${total - shown.length} more`);
  return {
    ...(sections as { [S in DiffSection]: SectionCounts<S> }),
    changed: total > 0,
    total,
    unknown: [...diff.unknown],
    text: total > 0 ? shown.join('; ') : 'no hardware change',
  };
}

import type { AcceptanceDifference, Miscabling } from '../../common/acceptance-result';
import type { Disk, Interface, Inventory } from '../../common/inventory';
import { lldpNeighbour } from '../../common/lldp-tlv';
import { normalizeMac } from '../../common/mac';
import { firmwareVersion } from '../../common/hardware-diff';
import { memoryMib } from '../../common/inventory';
import { compileRegex } from '../../common/regex';
import type { AcceptanceProfile } from './acceptance-profiles';
import type { CablingRow } from './acceptance-cabling';
import { GiB, inventoryInterfaces } from './helpers';
import type { HookContext } from './types';

const UNKNOWN = 'unknown';

/** Numeric parts in order: `U46 v2.10.1 (2023)` → [46, 2, 10, 1, 2023]. */
function numericParts(version: string): number[] {
  const parts: number[] = [];
  let digits = '';
  for (const c of `${version} `) {
    if (c >= '0' && c <= '9') digits += c;
    else if (digits) {
      parts.push(Number(digits.slice(0, 15)));
      digits = '';
    }
  }
  return parts;
}

/** <0, 0, >0 as a is older than, the same as, newer than b; missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const x = numericParts(a);
  const y = numericParts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** nvme by transport (or device name), else ssd/hdd by rotational; null when the agent did not say. */
export function diskType(disk: Disk): 'ssd' | 'hdd' | 'nvme' | null {
  if (disk.tran === 'nvme' || disk.name.replace(/^\/dev\//, '').startsWith('nvme')) return 'nvme';
  if (disk.rotational === true) return 'hdd';
  if (disk.rotational === false) return 'ssd';
  return null;
}


/** The NICs counted: every interface with a valid MAC but the loopback. */
function nics(inventory: Inventory): Interface[] {
  return inventoryInterfaces(inventory).filter((i) => i && i.name !== 'lo' && normalizeMac(i.mac_address) !== null);
}

/** How the node differs from its profile; empty when it conforms. */
export function checkProfile(profile: AcceptanceProfile, data: HookContext['data']): AcceptanceDifference[] {
  const out: AcceptanceDifference[] = [];
  const diff = (field: string, expected: string, actual: unknown) => out.push({ field, expected, actual: actual === null || actual === undefined ? UNKNOWN : String(actual) });
  const inventory = data.inventory;

  const { cpu, memory, disks, nics: nicSpec, firmware } = profile;
  if (cpu) {
    const model = inventory.cpu.model_name ?? '';
    if (cpu.model !== undefined && !model.toLowerCase().includes(cpu.model.toLowerCase())) diff('cpu.model', `contains "${cpu.model}"`, inventory.cpu.model_name);
    if (cpu.model_regex !== undefined && !compileRegex(cpu.model_regex).matcher(model).find()) diff('cpu.model', `matches /${cpu.model_regex}/`, inventory.cpu.model_name);
    if (cpu.count !== undefined && inventory.cpu.count !== cpu.count) diff('cpu.count', String(cpu.count), inventory.cpu.count);
    if (cpu.min_count !== undefined && inventory.cpu.count < cpu.min_count) diff('cpu.count', `>= ${cpu.min_count}`, inventory.cpu.count);
  }
  if (memory) {
    const mib = memoryMib(inventory.memory);
    if (memory.exact_mib !== undefined && mib !== memory.exact_mib) diff('memory.mib', String(memory.exact_mib), mib);
    if (memory.min_mib !== undefined && (mib === null || mib < memory.min_mib)) diff('memory.mib', `>= ${memory.min_mib}`, mib);
  }
  if (disks) {
    if (disks.count !== undefined && inventory.disks.length !== disks.count) diff('disks.count', String(disks.count), inventory.disks.length);
    for (const disk of inventory.disks) {
      const gib = Math.floor((disk.size / GiB) * 10) / 10;
      if (disks.min_size_gib !== undefined && disk.size < disks.min_size_gib * GiB) diff(`disks[${disk.name}].size_gib`, `>= ${disks.min_size_gib}`, gib);
      if (disks.type !== undefined && diskType(disk) !== disks.type) diff(`disks[${disk.name}].type`, disks.type, diskType(disk));
    }
  }
  if (nicSpec) {
    const found = nics(inventory);
    if (nicSpec.count !== undefined && found.length !== nicSpec.count) diff('nics.count', String(nicSpec.count), found.length);
    for (const nic of found) {
      const speed = nic.speed_mbps;
      if (nicSpec.min_speed_mbps !== undefined && (typeof speed !== 'number' || speed < nicSpec.min_speed_mbps)) diff(`nics[${nic.name}].speed_mbps`, `>= ${nicSpec.min_speed_mbps}`, speed);
    }
  }
  for (const item of ['bios', 'bmc'] as const) {
    const min = firmware?.[`${item}_min`];
    if (min === undefined) continue;
    const actual = firmwareVersion(data, item);
    if (actual === null || compareVersions(actual, min) < 0) diff(`firmware.${item}`, `>= ${min}`, actual);
  }
  return out;
}

const sameId = (planned: string, seen: unknown) =>
  typeof seen === 'string' && (seen === planned || (normalizeMac(seen) !== null && normalizeMac(seen) === normalizeMac(planned)));


/** Each planned cable of the node checked against what its NIC's LLDP shows. */
export function checkCabling(rows: CablingRow[], ctx: HookContext): { differences: AcceptanceDifference[]; miscabled: Miscabling[] } {
  const differences: AcceptanceDifference[] = [];
  const miscabled: Miscabling[] = [];
  const interfaces = inventoryInterfaces(ctx.data.inventory);
  for (const row of rows) {
    const expected = `${row.switch} ${row.port}`;
    const iface = interfaces.find((i) => i && (i.name === row.nic || normalizeMac(i.mac_address) === row.nic));
    if (!iface) {
      differences.push({ field: `nics[${row.nic}].present`, expected: `a NIC cabled to ${expected}`, actual: 'no such NIC' });
      miscabled.push({ nic: row.nic, expected_switch: row.switch, expected_port: row.port, seen_switch: null, seen_port: null });
      continue;
    }
    const lldp = lldpNeighbour(ctx.data, iface) ?? {};
    const switchOk = sameId(row.switch, lldp.switch_chassis_id) || sameId(row.switch, lldp.switch_system_name);
    const portOk = sameId(row.port, lldp.switch_port_id) || sameId(row.port, lldp.switch_port_description);
    if (switchOk && portOk) continue;
    const seenSwitch = (lldp.switch_system_name ?? lldp.switch_chassis_id ?? null) as string | null;
    const seenPort = (lldp.switch_port_id ?? null) as string | null;
    differences.push({
      field: `nics[${iface.name}].cabling`,
      expected,
      actual: seenSwitch === null && seenPort === null ? 'no LLDP neighbour' : `${seenSwitch ?? UNKNOWN} ${seenPort ?? UNKNOWN}`,
    });
    miscabled.push({ nic: iface.name, expected_switch: row.switch, expected_port: row.port, seen_switch: seenSwitch, seen_port: seenPort });
  }
  return { differences, miscabled };
}

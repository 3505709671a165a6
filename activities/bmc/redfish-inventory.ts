import type { Disk, Interface, IntrospectionData, Inventory } from '../../common/inventory';
import { normalizeMac } from '../../common/mac';
import { BmcError } from './driver';

// Out-of-band inspection, as Ironic's redfish inspect interface does it (read through sushy):
// the ComputerSystem and the collections it links to, turned into an inventory shaped like
// ironic-python-agent's, so that the processing hooks and rules run on it unchanged.

type Json = Record<string, unknown>;

/** What reads the BMC: RedfishDriver's `read` (404 → undefined) and the system's path. */
export interface RedfishReader {
  readonly systemPath: string;
  read(path: string): Promise<Json | undefined>;
}

/** One system's hardware as the BMC describes it. */
export interface RedfishHardware {
  system: Json;
  processors: Json[];
  /** DIMMs; read only when MemorySummary has no total. */
  memory: Json[];
  /** Storage drives, or SimpleStorage devices when the BMC has no Storage drives. */
  drives: Json[];
  interfaces: Json[];
}

/** Members read from one collection at most: far above any server (DIMM slots, NICs, drives). */
export const MAX_MEMBERS = 256;

// Ironic's map from a processor's InstructionSet to the cpu_arch it reports.
const ARCHITECTURES: Record<string, string> = {
  'x86-64': 'x86_64',
  x86: 'i686',
  'IA-64': 'ia64',
  'ARM-A32': 'arm',
  'ARM-A64': 'aarch64',
  MIPS32: 'mips',
  MIPS64: 'mips64',
};

const BOOT_MODES: Record<string, 'uefi' | 'bios'> = { UEFI: 'uefi', Legacy: 'bios' };

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : null);
/** A count or size: a number, or a number in a string (sushy-tools renders TotalThreads as "2"). */
const amount = (v: unknown): number | null => {
  const n = typeof v === 'string' && v.trim() ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : null;
};
const linkOf = (resource: Json, key: string): string | undefined => {
  const link = resource[key];
  return isObject(link) && typeof link['@odata.id'] === 'string' ? link['@odata.id'] : undefined;
};
const stateOf = (resource: Json): string | null => (isObject(resource.Status) ? text(resource.Status.State) : null);
/** Present: not reported Absent (an empty slot, a missing drive). */
const present = (resource: Json) => stateOf(resource) !== 'Absent';

/** Reads what inventoryFromRedfish maps: the system, then each collection it links to. `node` names it in errors. */
export async function readRedfishHardware(bmc: RedfishReader, node: string): Promise<RedfishHardware> {
  const system = await bmc.read(bmc.systemPath);
  if (!system) throw new BmcError(`node ${node}: Redfish GET ${bmc.systemPath}: the BMC has no such system (HTTP 404); check redfish_system_id`, false);

  const members = async (collectionPath: string | undefined): Promise<Json[] | undefined> => {
    if (!collectionPath) return undefined;
    const collection = await bmc.read(collectionPath);
    if (!collection) return undefined;
    const links = Array.isArray(collection.Members) ? collection.Members : [];
    if (links.length > MAX_MEMBERS) {
      throw new BmcError(`node ${node}: Redfish GET ${collectionPath}: the BMC lists ${links.length} members, more than the ${MAX_MEMBERS} read; check its firmware`, false);
    }
    return readAll(bmc, links);
  };

  const processors = (await members(linkOf(system, 'Processors'))) ?? [];
  const summary = isObject(system.MemorySummary) ? system.MemorySummary : {};
  const memory = amount(summary.TotalSystemMemoryGiB) ? [] : ((await members(linkOf(system, 'Memory'))) ?? []);

  let drives: Json[] = [];
  for (const storage of (await members(linkOf(system, 'Storage'))) ?? []) {
    const links = Array.isArray(storage.Drives) ? storage.Drives : [];
    if (drives.length + links.length > MAX_MEMBERS) {
      throw new BmcError(`node ${node}: Redfish Storage of ${bmc.systemPath}: the BMC lists more than ${MAX_MEMBERS} drives; check its firmware`, false);
    }
    drives.push(...(await readAll(bmc, links)));
  }
  if (!drives.length) {
    const controllers = (await members(linkOf(system, 'SimpleStorage'))) ?? [];
    drives = controllers.flatMap((c) => (Array.isArray(c.Devices) ? c.Devices.filter(isObject) : [])).slice(0, MAX_MEMBERS);
  }

  const interfaces = (await members(linkOf(system, 'EthernetInterfaces'))) ?? [];
  return { system, processors, memory, drives, interfaces };
}

/** The resources behind a list of {"@odata.id"} links, skipping those the BMC no longer has. */
async function readAll(bmc: RedfishReader, links: unknown[]): Promise<Json[]> {
  const out: Json[] = [];
  for (const link of links) {
    const path = isObject(link) && typeof link['@odata.id'] === 'string' ? link['@odata.id'] : undefined;
    const resource = path ? await bmc.read(path) : undefined;
    if (resource) out.push(resource);
  }
  return out;
}

/**
 * The BMC's description of a system as ironic-python-agent's introspection data: cpu, memory,
 * disks, interfaces, system_vendor and boot mode. What Redfish does not say (CPU flags, IP
 * addresses of most NICs, disk device names) is left out or null, as Ironic's inventory does.
 */
export function inventoryFromRedfish(hw: RedfishHardware): IntrospectionData {
  const { system } = hw;
  const inventory: Inventory = {
    cpu: cpuOf(hw),
    memory: { physical_mb: memoryMbOf(hw) },
    disks: hw.drives.filter(present).flatMap(diskOf),
    interfaces: hw.interfaces.flatMap(interfaceOf),
    system_vendor: {
      product_name: text(system.Model) ?? text(system.Name),
      manufacturer: text(system.Manufacturer),
      serial_number: text(system.SerialNumber),
      firmware: { version: text(system.BiosVersion) },
    },
  };
  const boot = isObject(system.Boot) ? BOOT_MODES[String(system.Boot.BootSourceOverrideMode)] : undefined;
  if (boot) inventory.boot = { current_boot_mode: boot };
  return { inventory };
}

/**
 * Logical CPUs as sushy counts them (the processors' TotalThreads), else the system's summary;
 * model, speed and architecture from the first processor, as Ironic takes them.
 */
function cpuOf(hw: RedfishHardware): Inventory['cpu'] {
  const cpus = hw.processors.filter((p) => present(p) && (p.ProcessorType === undefined || p.ProcessorType === 'CPU'));
  const threads = cpus.reduce((sum, p) => sum + (amount(p.TotalThreads) ?? 0), 0);
  const summary = isObject(hw.system.ProcessorSummary) ? hw.system.ProcessorSummary : {};
  const first = cpus[0] ?? {};
  return {
    count: threads || amount(summary.LogicalProcessorCount) || amount(summary.Count) || 0,
    architecture: ARCHITECTURES[String(first.InstructionSet)] ?? '',
    model_name: text(first.Model),
    frequency: amount(first.MaxSpeedMHz),
    socket_count: cpus.length || null,
    flags: [],
  };
}

function memoryMbOf(hw: RedfishHardware): number | null {
  const summary = isObject(hw.system.MemorySummary) ? hw.system.MemorySummary : {};
  const gib = amount(summary.TotalSystemMemoryGiB);
  if (gib) return Math.round(gib * 1024);
  const mib = hw.memory.filter(present).reduce((sum, dimm) => sum + (amount(dimm.CapacityMiB) ?? 0), 0);
  return mib || null;
}

function diskOf(drive: Json): Disk[] {
  const size = amount(drive.CapacityBytes);
  const name = text(drive.Name) ?? text(drive.Id);
  if (size === null || !name) return [];
  const rpm = amount(drive.RotationSpeedRPM);
  const media = drive.MediaType;
  return [
    {
      name,
      size,
      model: text(drive.Model),
      vendor: text(drive.Manufacturer),
      serial: text(drive.SerialNumber),
      rotational: media === 'HDD' ? true : media === 'SSD' ? false : rpm !== null ? rpm > 0 : null,
    },
  ];
}

/**
 * An interface with a MAC. Redfish does not say which NIC boots: each enabled one is marked
 * pxe_enabled, as the ports Ironic's redfish inspection creates for them are.
 */
function interfaceOf(nic: Json): Interface[] {
  const mac = normalizeMac(text(nic.MACAddress) ?? text(nic.PermanentMACAddress));
  if (!mac) return [];
  const link = nic.LinkStatus;
  const ipv4 = Array.isArray(nic.IPv4Addresses) ? nic.IPv4Addresses.filter(isObject).map((a) => text(a.Address)).find((a) => a && a !== '0.0.0.0') : null;
  return [
    {
      name: text(nic.Id) ?? mac,
      mac_address: mac,
      ipv4_address: ipv4 ?? null,
      has_carrier: link === 'LinkUp' ? true : link === 'LinkDown' || link === 'NoLink' ? false : null,
      speed_mbps: amount(nic.SpeedMbps),
      pxe_enabled: stateOf(nic) === 'Enabled',
    },
  ];
}

/** The MACs Ironic's redfish inspection makes ports for: those of enabled NICs. */
export function enabledMacs(data: IntrospectionData): string[] {
  return data.inventory.interfaces.filter((i) => i.pxe_enabled === true && i.mac_address).map((i) => i.mac_address!);
}

import { parseCapabilities } from '../../activities/hooks/capabilities-string';
import { memoryMib } from '../inventory';
import { lldpNeighbour } from '../lldp-tlv';
import { normalizeMac } from '../mac';

// What fleet queries see of a node: its latest processed introspection data under short
// names, and its registry record (which may change between introspections, so it is read
// when the query runs). Documented in README ("Fleet queries").
//
//   uuid, name, resource_class, rack (extra.rack), properties.*, capabilities.*, traits
//   memory_mb, cpus, cpu.{model_name, count, architecture, frequency}
//   disks[]      {name, model, size, size_gb, rotational, serial, wwn, vendor, tran, hctl}
//   interfaces[] {name, mac, ipv4_address, speed, pxe, lldp.{switch_id, switch_port, system_name}}
//   system.{manufacturer, product_name, serial, firmware_version}, bmc_address, boot_mode,
//   root_disk.{name, size, serial}, local_gb

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj) : []);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const GIB = 1024 ** 3;


/** The hardware part of the view, from processed data (`inspector_data-<uuid>`). Stored: it changes only when a node is processed. */
export function hardwareView(data: unknown): Obj {
  const d = obj(data);
  const inv = obj(d.inventory);
  const cpu = obj(inv.cpu);
  const system = obj(inv.system_vendor);
  const all = obj(d.all_interfaces);
  const rootDisk = obj(d.root_disk);
  return {
    memory_mb: memoryMib(inv.memory),
    cpus: num(cpu.count),
    cpu: { model_name: str(cpu.model_name), count: num(cpu.count), architecture: str(cpu.architecture), frequency: cpu.frequency ?? null },
    disks: list(inv.disks).map((disk) => ({
      name: str(disk.name),
      model: str(disk.model),
      size: num(disk.size),
      size_gb: num(disk.size) === null ? null : Math.floor(num(disk.size)! / GIB),
      rotational: typeof disk.rotational === 'boolean' ? disk.rotational : null,
      serial: str(disk.serial),
      wwn: str(disk.wwn),
      vendor: str(disk.vendor),
      tran: str(disk.tran),
      hctl: str(disk.hctl),
    })),
    interfaces: list(inv.interfaces).map((iface) => {
      const name = str(iface.name);
      const lldp = obj(name === null ? null : lldpNeighbour(d, { name, lldp: iface.lldp }));
      return {
        name,
        mac: normalizeMac(iface.mac_address),
        ipv4_address: str(iface.ipv4_address),
        speed: num(iface.speed_mbps),
        pxe: name !== null && Object.hasOwn(all, name) ? obj(all[name]).pxe === true : null,
        lldp: { switch_id: str(lldp.switch_chassis_id), switch_port: str(lldp.switch_port_id), system_name: str(lldp.switch_system_name) },
      };
    }),
    system: {
      manufacturer: str(system.manufacturer),
      product_name: str(system.product_name),
      serial: str(system.serial_number),
      firmware_version: str(obj(system.firmware).version),
    },
    bmc_address: str(inv.bmc_address),
    boot_mode: str(obj(inv.boot).current_boot_mode),
    root_disk: d.root_disk === undefined ? null : { name: str(rootDisk.name), size: num(rootDisk.size), serial: str(rootDisk.serial) },
    local_gb: num(d.local_gb),
  };
}

/** The registry fields of the view. */
export interface FleetNode {
  uuid: string;
  name: string | null;
  resource_class: string | null;
  properties: Obj;
  extra: Obj;
  traits: string[];
}

/** The whole view a query is evaluated on: the node's fields over its stored hardware view. */
export function fleetView(hardware: Obj, node: FleetNode): Obj {
  return {
    ...hardware,
    uuid: node.uuid,
    name: node.name,
    resource_class: node.resource_class,
    rack: node.extra.rack ?? null,
    properties: node.properties,
    capabilities: Object.fromEntries(parseCapabilities(node.properties.capabilities)),
    traits: node.traits,
  };
}

/** The view's scalars kept in indexed columns (nodes/fleet.ts compiles comparisons on them to SQL). */
export function indexedScalars(hardware: Obj) {
  return {
    memory_mb: num(hardware.memory_mb),
    cpu_count: num(obj(hardware.cpu).count),
    cpu_model_name: str(obj(hardware.cpu).model_name),
    disk_count: Array.isArray(hardware.disks) ? hardware.disks.length : 0,
    interface_count: Array.isArray(hardware.interfaces) ? hardware.interfaces.length : 0,
  };
}

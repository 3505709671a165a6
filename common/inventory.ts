import { z } from 'zod';
import { MAX_TLV_VALUE_BYTES, MAX_TLVS } from './lldp-tlv';

// The introspection data contract shared by agent, API and worker. Field names,
// types and units follow ironic-python-agent's inventory (hardware.py) so that
// data from either agent is accepted. Objects are loose: IPA and its collectors
// add keys over time, and unknown keys must survive the round trip.

const optionalString = z.string().nullish();

// LLDP TLVs as IPA sends them: [type, hex of the value]; bounded here, decoded field by field by the hooks.
export const LldpTlvSchema = z.tuple([z.number().int().min(0).max(127), z.string().max(2 * MAX_TLV_VALUE_BYTES)]);
const LldpTlvsSchema = z.array(LldpTlvSchema).max(MAX_TLVS);

export const InterfaceSchema = z.looseObject({
  name: z.string().min(1).max(255),
  mac_address: z.string().nullish(),
  ipv4_address: optionalString,
  ipv6_address: optionalString,
  has_carrier: z.boolean().nullish(),
  lldp: LldpTlvsSchema.nullish(),
  vendor: optionalString,
  product: optionalString,
  client_id: optionalString,
  biosdevname: optionalString,
  speed_mbps: z.number().nullish(),
  pxe_enabled: z.boolean().nullish(),
  /** The NIC's PCI function (0000:3b:00.0) and kernel driver (IPA's NetworkInterface). */
  pci_address: optionalString,
  driver: optionalString,
});

export const CpuSchema = z.looseObject({
  model_name: optionalString,
  frequency: z.union([z.string(), z.number()]).nullish(),
  count: z.number().int().nonnegative(),
  architecture: z.string(),
  flags: z.array(z.string().max(64)).max(1024).default([]),
  socket_count: z.number().int().nullish(),
});

export const MemorySchema = z.looseObject({
  total: z.number().nonnegative().nullish(),
  physical_mb: z.number().nonnegative().nullish(),
});

/**
 * The server's memory in MiB, as Ironic's `memory_mb`: `physical_mb` when the agent read it from
 * the DIMMs, else the total the kernel sees; null when neither is a positive number.
 */
export function memoryMib(memory: unknown): number | null {
  const m = (typeof memory === 'object' && memory !== null ? memory : {}) as { physical_mb?: unknown; total?: unknown };
  if (typeof m.physical_mb === 'number' && Number.isFinite(m.physical_mb) && m.physical_mb > 0) return Math.floor(m.physical_mb);
  if (typeof m.total === 'number' && Number.isFinite(m.total) && m.total > 0) return Math.floor(m.total / 1024 ** 2);
  return null;
}

export const DiskSchema = z.looseObject({
  name: z.string().min(1),
  model: optionalString,
  size: z.number().nonnegative(),
  rotational: z.boolean().nullish(),
  wwn: optionalString,
  serial: optionalString,
  vendor: optionalString,
  wwn_with_extension: optionalString,
  wwn_vendor_extension: optionalString,
  hctl: optionalString,
  by_path: optionalString,
  logical_sectors: z.number().nullish(),
  physical_sectors: z.number().nullish(),
  /** Transport as lsblk's TRAN: sata, sas, nvme, usb, virtio, ... (IPA's BlockDevice). */
  tran: optionalString,
});

export const SystemVendorSchema = z.looseObject({
  product_name: optionalString,
  serial_number: optionalString,
  manufacturer: optionalString,
  firmware: z
    .looseObject({ vendor: optionalString, version: optionalString, build_date: optionalString })
    .nullish(),
});

export const BootSchema = z.looseObject({
  current_boot_mode: z.enum(['bios', 'uefi']).nullish(),
  pxe_interface: optionalString,
});

// Bounds far above any server, so that a hostile body is refused field by field.
export const MAX_INTERFACES = 1024;
export const MAX_DISKS = 1024;

export const InventorySchema = z.looseObject({
  interfaces: z.array(InterfaceSchema).max(MAX_INTERFACES),
  cpu: CpuSchema,
  memory: MemorySchema,
  disks: z.array(DiskSchema).max(MAX_DISKS).default([]),
  bmc_address: optionalString,
  bmc_v6address: optionalString,
  bmc_mac: optionalString,
  system_vendor: SystemVendorSchema.nullish(),
  boot: BootSchema.nullish(),
  hostname: optionalString,
});

// IPA's pci-devices and usb-devices collectors (numa_node_id: the sysfs file's text, "-1" without NUMA).
export const MAX_PCI_DEVICES = 4096;
export const MAX_USB_DEVICES = 1024;
export const PciDeviceSchema = z.looseObject({
  vendor_id: z.string().max(16),
  product_id: z.string().max(16),
  class: optionalString,
  revision: optionalString,
  bus: optionalString,
  numa_node_id: z.union([z.string().max(16), z.number().int()]).nullish(),
});
export const UsbDeviceSchema = z.looseObject({ product: optionalString, vendor: optionalString, handle: optionalString });

/** What an agent posts to /v1/continue. `error` is set when the ramdisk itself failed. */
export const IntrospectionDataSchema = z.looseObject({
  inventory: InventorySchema,
  root_disk: DiskSchema.nullish(),
  boot_interface: optionalString,
  error: optionalString,
  // IPA's `lldp` collector: raw TLVs per interface name (newer than inventory.interfaces[].lldp).
  lldp_raw: z
    .record(z.string().max(255), LldpTlvsSchema)
    .refine((raw) => Object.keys(raw).length <= MAX_INTERFACES, `at most ${MAX_INTERFACES} interfaces`)
    .nullish(),
  configuration: z
    .looseObject({ collectors: z.array(z.string()).optional(), managers: z.array(z.unknown()).optional() })
    .optional(),
  pci_devices: z.array(PciDeviceSchema).max(MAX_PCI_DEVICES).nullish(),
  usb_devices: z.array(UsbDeviceSchema).max(MAX_USB_DEVICES).nullish(),
  /** IPA's dmi-decode collector: {bios, cpu, memory} of dmidecode's fields. */
  dmi: z.looseObject({}).nullish(),
});

export type Interface = z.infer<typeof InterfaceSchema>;
export type Cpu = z.infer<typeof CpuSchema>;
export type Disk = z.infer<typeof DiskSchema>;
export type Inventory = z.infer<typeof InventorySchema>;
export type IntrospectionData = z.infer<typeof IntrospectionDataSchema>;

/**
 * What an agent posts when the ramdisk itself broke: no usable inventory, only the error and
 * what identifies the machine (its PXE MAC as boot_interface, maybe its BMC address).
 */
export const RamdiskErrorSchema = z.looseObject({
  error: z.string().min(1).max(4096),
  boot_interface: optionalString,
  inventory: z
    .looseObject({
      bmc_address: optionalString,
      bmc_v6address: optionalString,
      interfaces: z.array(z.looseObject({ mac_address: z.string().nullish() })).max(MAX_INTERFACES).optional(),
    })
    .optional(),
});
export type RamdiskError = z.infer<typeof RamdiskErrorSchema>;

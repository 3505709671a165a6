import { z } from 'zod';

// The introspection data contract shared by agent, API and worker. Field names,
// types and units follow ironic-python-agent's inventory (hardware.py) so that
// data from either agent is accepted. Objects are loose: IPA and its collectors
// add keys over time, and unknown keys must survive the round trip.

const optionalString = z.string().nullish();

export const LldpTlvSchema = z.tuple([z.number().int(), z.string()]);

export const InterfaceSchema = z.looseObject({
  name: z.string().min(1).max(255),
  mac_address: z.string().nullish(),
  ipv4_address: optionalString,
  ipv6_address: optionalString,
  has_carrier: z.boolean().nullish(),
  lldp: z.array(LldpTlvSchema).nullish(),
  vendor: optionalString,
  product: optionalString,
  client_id: optionalString,
  biosdevname: optionalString,
  speed_mbps: z.number().nullish(),
  pxe_enabled: z.boolean().nullish(),
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

/** What an agent posts to /v1/continue. `error` is set when the ramdisk itself failed. */
export const IntrospectionDataSchema = z.looseObject({
  inventory: InventorySchema,
  root_disk: DiskSchema.nullish(),
  boot_interface: optionalString,
  error: optionalString,
  configuration: z
    .looseObject({ collectors: z.array(z.string()).optional(), managers: z.array(z.unknown()).optional() })
    .optional(),
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

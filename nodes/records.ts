import { isIPv6 } from 'node:net';
import type { Selectable } from 'kysely';
import { z } from 'zod';
import { ProvisionStateSchema } from './provision-states';
import { DriverSchema, InspectInterfaceSchema, JsonObjectSchema } from './schema';
import type { NodesTable, PortsTable, RulesTable } from './tables';

// The registry's records as the rest of the code sees them, and how table rows become records.

const timestamp = z.string().nullable();

export const NodeRecordSchema = z.object({
  uuid: z.string(),
  name: z.string().nullable(),
  driver: DriverSchema,
  /** Secrets included: mask them (maskSecrets) before they leave the process. */
  driver_info: JsonObjectSchema,
  properties: JsonObjectSchema,
  extra: JsonObjectSchema,
  traits: z.array(z.string()),
  resource_class: z.string().nullable(),
  power_state: z.string().nullable(),
  /** Set while a power request over the node API runs (workflows/node-power.ts), as Ironic shows it. */
  target_power_state: z.string().nullable(),
  provision_state: ProvisionStateSchema,
  target_provision_state: ProvisionStateSchema.nullable(),
  provision_updated_at: timestamp,
  last_error: z.string().nullable(),
  maintenance: z.boolean(),
  maintenance_reason: z.string().nullable(),
  inspection_started_at: timestamp,
  inspection_finished_at: timestamp,
  inspect_interface: InspectInterfaceSchema,
  created_at: z.string(),
  updated_at: timestamp,
});
export type NodeRecord = z.infer<typeof NodeRecordSchema>;

export const PortRecordSchema = z.object({
  uuid: z.string(),
  node_uuid: z.string(),
  address: z.string(),
  pxe_enabled: z.boolean(),
  local_link_connection: z.record(z.string(), z.string()),
  physical_network: z.string().nullable(),
  extra: JsonObjectSchema,
  created_at: z.string(),
  updated_at: timestamp,
});
export type PortRecord = z.infer<typeof PortRecordSchema>;

export const RuleRecordSchema = z.object({
  uuid: z.string(),
  description: z.string().nullable(),
  body: JsonObjectSchema,
  created_at: z.string(),
});
export type RuleRecord = z.infer<typeof RuleRecordSchema>;

/** The node fields a writer may change; the registry keeps uuid, timestamps and its lock version. */
export type NodeChanges = Partial<Omit<NodeRecord, 'uuid' | 'created_at' | 'updated_at' | 'provision_updated_at'>>;

/** A node as enrolled: in `enroll`, with no power state, traits or errors yet. */
export function newNodeRecord(
  fields: Pick<NodeRecord, 'uuid' | 'name' | 'driver' | 'driver_info' | 'properties' | 'extra' | 'resource_class'> & Partial<Pick<NodeRecord, 'inspect_interface'>>,
  created_at: string,
): NodeRecord {
  return {
    ...fields,
    traits: [],
    power_state: null,
    target_power_state: null,
    provision_state: 'enroll',
    target_provision_state: null,
    provision_updated_at: created_at,
    last_error: null,
    maintenance: false,
    maintenance_reason: null,
    inspection_started_at: null,
    inspection_finished_at: null,
    inspect_interface: fields.inspect_interface ?? 'agent',
    created_at,
    updated_at: null,
  };
}

export function toNode(row: Selectable<NodesTable>): NodeRecord {
  return {
    uuid: row.uuid,
    name: row.name,
    driver: row.driver as NodeRecord['driver'],
    driver_info: JSON.parse(row.driver_info),
    properties: JSON.parse(row.properties),
    extra: JSON.parse(row.extra),
    traits: JSON.parse(row.traits),
    resource_class: row.resource_class,
    power_state: row.power_state,
    target_power_state: row.target_power_state,
    provision_state: row.provision_state as NodeRecord['provision_state'],
    target_provision_state: row.target_provision_state as NodeRecord['target_provision_state'],
    provision_updated_at: row.provision_updated_at,
    last_error: row.last_error,
    maintenance: Boolean(row.maintenance),
    maintenance_reason: row.maintenance_reason,
    inspection_started_at: row.inspection_started_at,
    inspection_finished_at: row.inspection_finished_at,
    inspect_interface: row.inspect_interface as NodeRecord['inspect_interface'],
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** Column values for the given fields: JSON as text, booleans as 0/1, the BMC address kept beside driver_info. */
export function toNodeColumns(changes: Partial<NodeRecord>): Partial<Selectable<NodesTable>> {
  const columns: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    if (key === 'properties' || key === 'extra' || key === 'traits') columns[key] = JSON.stringify(value);
    else if (key === 'driver_info') {
      columns.driver_info = JSON.stringify(value);
      columns.bmc_address = bmcAddressOf(value as Record<string, unknown>);
    } else if (key === 'maintenance') columns.maintenance = value ? 1 : 0;
    else columns[key] = value;
  }
  return columns as Partial<Selectable<NodesTable>>;
}

export function toPort(row: Selectable<PortsTable>): PortRecord {
  return {
    uuid: row.uuid,
    node_uuid: row.node_uuid,
    address: row.address,
    pxe_enabled: Boolean(row.pxe_enabled),
    local_link_connection: JSON.parse(row.local_link_connection),
    physical_network: row.physical_network,
    extra: JSON.parse(row.extra),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function toRule(row: Selectable<RulesTable>): RuleRecord {
  return { ...row, body: JSON.parse(row.body) };
}

/** An address as lookup compares it: IPv6 in its canonical short form, host names lower-case, no brackets. */
export function normalizeHost(address: string): string {
  const bare = address.trim().replace(/^\[|\]$/g, '');
  if (isIPv6(bare)) {
    try {
      return new URL(`http://[${bare}]/`).hostname.replace(/^\[|\]$/g, '');
    } catch {
      // a zone id (fe80::1%eth0) is no URL host: keep it as given
    }
  }
  return bare.toLowerCase();
}

/** The BMC's host from driver_info (ipmi_address, or the host of redfish_address), for lookup. */
export function bmcAddressOf(driverInfo: Record<string, unknown>): string | null {
  const address = driverInfo.ipmi_address ?? driverInfo.redfish_address;
  if (typeof address !== 'string' || !address) return null;
  if (address.includes('://')) {
    try {
      return normalizeHost(new URL(address).hostname);
    } catch {
      return null;
    }
  }
  return normalizeHost(address);
}

import { z } from 'zod';
import { normalizeMac } from '../common/mac';
import { ProvisionStateSchema } from './provision-states';

// What the registry accepts from outside: nodes, their driver_info, ports, traits and list filters.

export const DRIVERS = ['ipmi', 'redfish', 'fake'] as const;
export const DriverSchema = z.enum(DRIVERS);
export type Driver = z.infer<typeof DriverSchema>;

const host = z.string().min(1).max(255).regex(/^[A-Za-z0-9.:\-[\]%]+$/, 'must be a host name or IP address');

export const IpmiDriverInfoSchema = z.strictObject({
  ipmi_address: host,
  ipmi_port: z.coerce.number().int().min(1).max(65535).default(623),
  ipmi_username: z.string().max(16).default(''),
  ipmi_password: z.string().max(20).default(''),
  /** ipmitool -C: ipmi_sim and many real BMCs need 3 or 17; unset, the configured default applies. */
  ipmi_cipher_suite: z.coerce.number().int().min(0).max(17).optional(),
  ipmi_timeout: z.coerce.number().int().min(1).max(300).optional(),
});
export type IpmiDriverInfo = z.infer<typeof IpmiDriverInfoSchema>;

const isSegmentChar = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || '-_.~:'.includes(c);

/** One plain Redfish path segment (a system id, an action name): letters, digits and -_.~: only, and not . or .. */
export function isRedfishSegment(segment: string): boolean {
  return segment !== '.' && segment !== '..' && segment.length > 0 && [...segment].every(isSegmentChar);
}

const SYSTEMS_PATH = '/redfish/v1/Systems/';

/** The system's path for a redfish_system_id (a system id, or /redfish/v1/Systems/<id> with an optional trailing slash); undefined for anything else. */
export function redfishSystemPath(systemId: string): string | undefined {
  const rest = systemId.startsWith(SYSTEMS_PATH) ? systemId.slice(SYSTEMS_PATH.length) : undefined;
  const id = rest === undefined ? systemId : rest.endsWith('/') ? rest.slice(0, -1) : rest;
  return isRedfishSegment(id) ? SYSTEMS_PATH + id : undefined;
}

/** Why `address` cannot be a redfish_address (an http(s) URL without credentials, query or fragment); undefined when it can. */
export function redfishAddressProblem(address: string): string | undefined {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return 'must be a URL like https://192.0.2.10 or https://bmc.example:8443';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL';
  if (url.username || url.password) return 'must not carry credentials: put them in redfish_username and redfish_password';
  if (address.includes('?') || address.includes('#')) return 'must not have a query or fragment';
  return undefined;
}

export const RedfishDriverInfoSchema = z.strictObject({
  redfish_address: z
    .string()
    .max(2048, { abort: true })
    .superRefine((address, ctx) => {
      const problem = redfishAddressProblem(address);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  redfish_system_id: z
    .string()
    .max(255, { abort: true })
    .refine((id) => redfishSystemPath(id) !== undefined, 'must be a system id (letters, digits and -_.~: only) or a path /redfish/v1/Systems/<id>'),
  redfish_username: z.string().default(''),
  redfish_password: z.string().default(''),
  redfish_verify_ca: z.union([z.boolean(), z.string()]).optional(),
});
export type RedfishDriverInfo = z.infer<typeof RedfishDriverInfoSchema>;

export const JsonObjectSchema = z.record(z.string(), z.unknown());
export type JsonObject = z.infer<typeof JsonObjectSchema>;

export const FakeDriverInfoSchema = JsonObjectSchema;

export function driverInfoSchema(driver: Driver) {
  return { ipmi: IpmiDriverInfoSchema, redfish: RedfishDriverInfoSchema, fake: FakeDriverInfoSchema }[driver];
}

/**
 * driver_info that may lack fields the driver needs, each field given checked: a discovered
 * node's (its BMC address is what its agent could read, its credentials what rules set).
 */
export function partialDriverInfoSchema(driver: Driver) {
  return { ipmi: IpmiDriverInfoSchema.partial(), redfish: RedfishDriverInfoSchema.partial(), fake: FakeDriverInfoSchema }[driver];
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const NodeNameSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9\-._~]+$/, 'may contain only letters, digits and -._~')
  .refine((v) => !UUID_RE.test(v), 'must not look like a UUID');

export const ResourceClassSchema = z.string().max(80);
export const MaintenanceReasonSchema = z.string().max(255);

/** The body of PUT /v1/nodes/<node>/maintenance. */
export const MaintenanceRequestSchema = z.strictObject({ reason: MaintenanceReasonSchema.nullish() });

/** How a node is inspected (Ironic's inspect_interface): `agent` boots the ramdisk; `redfish` reads the BMC, without a boot. */
export const INSPECT_INTERFACES = ['agent', 'redfish'] as const;
export const InspectInterfaceSchema = z.enum(INSPECT_INTERFACES);
export type InspectInterface = z.infer<typeof InspectInterfaceSchema>;

/** Ironic refuses an interface its hardware type does not support: Redfish inspection needs the Redfish driver's BMC. */
const inspectInterfaceFitsDriver = (node: { driver: Driver; inspect_interface: InspectInterface }) =>
  node.inspect_interface !== 'redfish' || node.driver === 'redfish';
const INSPECT_INTERFACE_MISFIT = { path: ['inspect_interface'], message: 'redfish needs driver redfish (its BMC is read over Redfish); use agent for other drivers' };

export const NodeCreateSchema = z.strictObject({
  uuid: z.uuid().optional(),
  name: NodeNameSchema.nullish(),
  driver: DriverSchema,
  driver_info: JsonObjectSchema.default({}),
  properties: JsonObjectSchema.default({}),
  extra: JsonObjectSchema.default({}),
  resource_class: ResourceClassSchema.nullish(),
  inspect_interface: InspectInterfaceSchema.default('agent'),
}).refine(inspectInterfaceFitsDriver, INSPECT_INTERFACE_MISFIT);
export type NodeCreate = z.infer<typeof NodeCreateSchema>;

/** The node fields an operator may change (by JSON Patch), as they must look after the change. */
export const NodeUpdateSchema = z.strictObject({
  name: NodeNameSchema.nullable(),
  driver: DriverSchema,
  driver_info: JsonObjectSchema,
  properties: JsonObjectSchema,
  extra: JsonObjectSchema,
  resource_class: ResourceClassSchema.nullable(),
  maintenance: z.boolean(),
  maintenance_reason: MaintenanceReasonSchema.nullable(),
  inspect_interface: InspectInterfaceSchema,
}).refine(inspectInterfaceFitsDriver, INSPECT_INTERFACE_MISFIT);
export type NodeUpdate = z.infer<typeof NodeUpdateSchema>;

/** Ironic's trait names: CUSTOM_[A-Z0-9_]+ or a standard (os-traits, upper-case) name. */
export const TRAIT_PATTERN = /^(?!CUSTOM_$)[A-Z][A-Z0-9_]*$/;
export const MAX_TRAITS = 50;
export const TraitSchema = z
  .string()
  .max(255)
  .regex(TRAIT_PATTERN, 'must be CUSTOM_[A-Z0-9_]+ or a standard (upper-case) trait name');
export const TraitListSchema = z
  .array(TraitSchema)
  .max(MAX_TRAITS)
  .transform((traits) => [...new Set(traits)].sort());

export const MacSchema = z.string().transform((value, ctx) => {
  const mac = normalizeMac(value);
  if (mac === null) ctx.addIssue({ code: 'custom', message: 'must be a MAC address like 52:54:00:12:34:56' });
  return mac ?? z.NEVER;
});

export const PortCreateSchema = z.strictObject({
  node_uuid: z.string().min(1),
  address: MacSchema,
  pxe_enabled: z.boolean().default(true),
  local_link_connection: z.record(z.string(), z.string()).default({}),
  physical_network: z.string().max(64).nullish(),
  /** Free-form, as Ironic's (ironic-inspector puts an InfiniBand client-id here). */
  extra: JsonObjectSchema.default({}),
});
export type PortCreate = z.infer<typeof PortCreateSchema>;


export const MAX_PAGE = 1000;
const page = {
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).optional(),
  marker: z.uuid().optional(),
};

/** Node list filters (query parameters of GET /v1/nodes). */
export const NodeFilterSchema = z.strictObject({
  provision_state: ProvisionStateSchema.optional(),
  driver: DriverSchema.optional(),
  resource_class: z.string().optional(),
  name_prefix: z.string().min(1).optional(),
  maintenance: z.stringbool().optional(),
  ...page,
});
export type NodeFilter = z.infer<typeof NodeFilterSchema>;

/** Port list filters (query parameters of GET /v1/ports): a node by uuid or name, a MAC. */
export const PortFilterSchema = z.strictObject({
  node: z.string().min(1).optional(),
  node_uuid: z.uuid().optional(),
  address: MacSchema.optional(),
  ...page,
});
export type PortFilter = z.infer<typeof PortFilterSchema>;

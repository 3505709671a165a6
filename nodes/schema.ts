import { z } from 'zod';

export const DRIVERS = ['ipmi', 'redfish', 'fake'] as const;
export const SECRET_MASK = '******';

/** driver_info keys that are secrets: write-only, shown as ****** on output. */
export function isSecretKey(key: string): boolean {
  return /password|secret|token|_key$/i.test(key);
}

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

export const RedfishDriverInfoSchema = z.strictObject({
  redfish_address: z.url(),
  redfish_system_id: z.string().min(1),
  redfish_username: z.string().default(''),
  redfish_password: z.string().default(''),
  redfish_verify_ca: z.union([z.boolean(), z.string()]).optional(),
});

export const FakeDriverInfoSchema = z.record(z.string(), z.unknown());

export function driverInfoSchema(driver: (typeof DRIVERS)[number]) {
  return { ipmi: IpmiDriverInfoSchema, redfish: RedfishDriverInfoSchema, fake: FakeDriverInfoSchema }[driver];
}

const jsonObject = z.record(z.string(), z.unknown());

export const NodeNameSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9\-._~]+$/, 'may contain only letters, digits and -._~')
  .refine((v) => !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v), 'must not look like a UUID');

export const NodeCreateSchema = z.strictObject({
  uuid: z.uuid().optional(),
  name: NodeNameSchema.nullish(),
  driver: z.enum(DRIVERS),
  driver_info: jsonObject.default({}),
  properties: jsonObject.default({}),
  extra: jsonObject.default({}),
  resource_class: z.string().max(80).nullish(),
});
export type NodeCreate = z.infer<typeof NodeCreateSchema>;

const MAC_RE = /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i;
export const MacSchema = z
  .string()
  .regex(MAC_RE, 'must be a MAC address like 52:54:00:12:34:56')
  .transform((mac) => mac.toLowerCase().replace(/-/g, ':'));

export const PortCreateSchema = z.strictObject({
  node_uuid: z.string().min(1),
  address: MacSchema,
  pxe_enabled: z.boolean().default(true),
  local_link_connection: z.record(z.string(), z.string()).default({}),
  physical_network: z.string().max(64).nullish(),
});
export type PortCreate = z.infer<typeof PortCreateSchema>;

export function normalizeMac(mac: string): string | null {
  return MAC_RE.test(mac) ? mac.toLowerCase().replace(/-/g, ':') : null;
}

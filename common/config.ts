import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { describeZodError } from './validation';

const DEFAULT_DATA_DIR = 'data';

/** pino's levels (common/log.ts). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const port = z.coerce.number().int().min(1).max(65535);
/** 0 picks a free port (tests). */
const listenPort = z.coerce.number().int().min(0).max(65535);

const LEASE_TIME = /^(\d{1,8}[smhdw]?|infinite)$/;
const isIpv4 = (value: string) => z.ipv4().safeParse(value).success;
/** dnsmasq's IPv4 dhcp-range: first and last address, then a netmask and a lease time, each optional. */
function isDhcpRange(value: string): boolean {
  const [first, last, ...rest] = value.split(',');
  if (!isIpv4(first) || last === undefined || !isIpv4(last) || rest.length > 2) return false;
  const [maskOrLease, lease] = rest;
  if (lease !== undefined) return isIpv4(maskOrLease) && LEASE_TIME.test(lease);
  return maskOrLease === undefined || isIpv4(maskOrLease) || LEASE_TIME.test(maskOrLease);
}

// Every setting comes from the environment, with embedded defaults good for one machine.
const ConfigSchema = z.object({
  INTROSPECTOR_DATA_DIR: z.string().default(path.resolve(DEFAULT_DATA_DIR)),
  INTROSPECTOR_TOOLS_DIR: z.string().default(path.join(os.homedir(), '.cache', 'introspector', 'bin')),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('introspection'),
  TEMPORAL_UI_PORT: port.default(8233),
  /** The CA that signed the Temporal frontend's certificate (PEM); unset: the system's CAs. */
  TEMPORAL_TLS_CA_FILE: z.string().min(1).optional(),
  /** A client certificate and its key (PEM), for a frontend that requires mTLS: both or neither. */
  TEMPORAL_TLS_CERT_FILE: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY_FILE: z.string().min(1).optional(),
  /** The name the frontend's certificate must carry, when not TEMPORAL_ADDRESS's host. */
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  /** TLS towards Temporal; unset: on when any TEMPORAL_TLS_* file or an API key is set. */
  TEMPORAL_TLS: z.stringbool().optional(),
  /** A file holding the API key sent as `authorization: Bearer <key>`: the key itself stays out of every environment. */
  TEMPORAL_API_KEY_FILE: z.string().min(1).optional(),
  S3_ENDPOINT: z.url().default('http://127.0.0.1:7070'),
  S3_REGION: z.string().default('us-east-1'),
  S3_BUCKET: z.string().min(3).default('introspector'),
  S3_ACCESS_KEY: z.string().min(1).default('introspector'),
  S3_SECRET_KEY: z.string().min(1).default('introspector-secret'),
  DATABASE_URL: z.string().optional(),
  /** Unset: 0.0.0.0 with authentication, 127.0.0.1 with AUTH_STRATEGY=noauth (see apiHost). */
  API_HOST: z.string().optional(),
  INSPECTOR_PORT: listenPort.default(5050),
  NODE_API_PORT: listenPort.default(6385),
  /** Where agents post their data; defaults to the host and port the ramdisk fetched its boot script from. */
  CALLBACK_URL: z.url().optional(),
  /** A listener of its own for the agent's callback and the boot scripts (the provisioning network reaches nothing else). */
  CALLBACK_HOST: z.string().optional(),
  CALLBACK_PORT: listenPort.optional(),
  /** Refuse callbacks that carry no run token (agents booted by Introspector always carry one). */
  CALLBACK_TOKEN_REQUIRED: z.stringbool().default(false),
  /** Where `npm run build:ramdisk` wrote vmlinuz and initramfs, served to booting servers. */
  RAMDISK_DIR: z.string().default(path.resolve(__dirname, '..', 'dist', 'ramdisk')),
  /**
   * Discovery: servers nobody enrolled may boot the ramdisk (the PXE filter lets unknown MACs
   * through), and the callback of one that no node matches enrolls it (see nodes/discovery.ts).
   */
  DISCOVERY_ENABLED: z.stringbool().default(false),
  /** The driver of discovered nodes (ironic-inspector's [discovery] enroll_node_driver): where their BMC address goes. */
  DISCOVERY_DRIVER: z.enum(['ipmi', 'redfish']).default('ipmi'),
  /** The provisioning network's interface: set, `npm start` runs dnsmasq (DHCP + TFTP) on it with the PXE filter. */
  PXE_INTERFACE: z.string().regex(/^[A-Za-z0-9_.-]{1,15}$/, 'a network interface name').optional(),
  /** dnsmasq's dhcp-range: first,last[,netmask][,lease time], e.g. 10.20.0.100,10.20.0.200,255.255.255.0,10m. */
  PXE_DHCP_RANGE: z
    .string()
    .refine(isDhcpRange, 'first,last[,netmask][,lease time] with IPv4 addresses, e.g. 10.20.0.100,10.20.0.200,255.255.255.0')
    .optional(),
  /** The address servers reach the boot service at; default: PXE_INTERFACE's IPv4 address. */
  PXE_BOOT_HOST: z.string().regex(/^[A-Za-z0-9.-]{1,253}$/, 'a host name or IPv4 address').optional(),
  /** dnsmasq's dhcp-hostsdir, which the PXE filter keeps; default $INTROSPECTOR_DATA_DIR/pxe/hostsdir with PXE_INTERFACE. */
  PXE_HOSTSDIR: z.string().optional(),
  /** How often the worker writes the whole filter again (ports added or removed meanwhile). */
  PXE_FILTER_SYNC_SECONDS: z.coerce.number().int().min(1).max(3600).default(15),
  /** Collectors the boot script asks the agent to run. */
  AGENT_COLLECTORS: z
    .string()
    .regex(/^[a-z0-9-]+(,[a-z0-9-]+)*$/, 'comma-separated collector names')
    .default('default,extra-hardware,pci-devices,numa-topology,logs'),
  /** http_basic (Ironic's: an htpasswd file of bcrypt entries) or noauth (then the APIs listen on 127.0.0.1). */
  AUTH_STRATEGY: z.enum(['http_basic', 'noauth']).default('http_basic'),
  /** Apache htpasswd file of bcrypt entries; default $INTROSPECTOR_DATA_DIR/htpasswd. */
  HTPASSWD_FILE: z.string().optional(),
  /** Users with the admin role (everything); every other user is a reader (GETs only). */
  AUTH_ADMIN_USERS: z.string().default('admin'),
  /** Password of the user admin, instead of a random one created on first start. */
  INTROSPECTOR_ADMIN_PASSWORD: z.string().min(8).max(72).optional(),
  INTROSPECTION_TIMEOUT: z.coerce.number().int().positive().default(3600),
  /** A boot whose agent has not called back by then is power-cycled again. */
  INTROSPECTION_BOOT_TIMEOUT: z.coerce.number().int().positive().default(600),
  INTROSPECTION_BOOT_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(2),
  /** BMC commands per second across all workers (PXE/DHCP and BMCs saturate in bulk). */
  BMC_COMMANDS_PER_SECOND: z.coerce.number().positive().default(20),
  /** Least time between two commands to one BMC, seconds (Ironic's ipmi_min_command_interval). */
  BMC_MIN_COMMAND_INTERVAL: z.coerce.number().min(0).max(60).default(1),
  /** How long a power change may take before the BMC reports it, seconds. */
  BMC_POWER_TIMEOUT: z.coerce.number().int().min(5).max(3600).default(120),
  BULK_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(20),
  /** Nodes a bulk run starts before it continues as new. */
  BULK_CONTINUE_AS_NEW_AFTER: z.coerce.number().int().min(1).default(500),
  CONTINUE_BODY_LIMIT: z.string().regex(/^\d{1,9}(b|kb|mb)?$/i, 'a size like 10mb').default('10mb'),
  // Processing hooks: checked by activities/hooks/settings.ts when a worker starts.
  PROCESSING_HOOKS: z.string().optional(),
  PROCESSING_ADD_PORTS: z.string().optional(),
  PROCESSING_KEEP_PORTS: z.string().optional(),
  PROCESSING_PCI_ALIASES: z.string().optional(),
  PROCESSING_MIN_ROOT_DISK_GIB: z.string().optional(),
  /** Built-in inspection rules (Ironic's, API 1.96): a JSON file holding a list of rules, read-only through the API. */
  INSPECTION_RULES_FILE: z.string().min(1).optional(),
  PROCESSING_OVERWRITE_EXISTING: z.string().optional(),
  PROCESSING_CPU_FLAGS: z.string().optional(),
  PROCESSING_PHYSNET_CIDR_MAP: z.string().optional(),
  PROCESSING_ACCELERATORS_FILE: z.string().optional(),
  /** Hardware profiles (*.json, *.yaml) the acceptance hook checks nodes against; read when the worker starts. */
  ACCEPTANCE_PROFILES_DIR: z.string().optional(),
  /** The cabling plan, CSV `node,nic,switch,port`, checked against each NIC's LLDP neighbour. */
  CABLING_PLAN_FILE: z.string().optional(),
  /** How many accepted introspections each node's history keeps (the oldest go first); 0 keeps every one. */
  HISTORY_KEEP: z.coerce.number().int().min(0).max(100000).default(20),
  /** Power the server off when its introspection ends (ironic-inspector's [processing] power_off); false leaves it on. */
  PROCESSING_POWER_OFF: z.stringbool().default(true),
  /** Where a worker process serves its metrics and the Temporal SDK's (127.0.0.1; the SDK's exporter on the next port). */
  WORKER_METRICS_PORT: port.default(9464),
  /** The worker process's metrics, appended to the API's /metrics; unset: the workers in the API's process. */
  WORKER_METRICS_URL: z.url().optional(),
  /** fatal, error, warn, info, debug, trace or silent. */
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  IPMI_CIPHER_SUITE: z.coerce.number().int().min(0).max(17).default(3),
}).superRefine((config, ctx) => {
  if ((config.TEMPORAL_TLS_CERT_FILE === undefined) !== (config.TEMPORAL_TLS_KEY_FILE === undefined)) {
    const missing = config.TEMPORAL_TLS_CERT_FILE === undefined ? 'TEMPORAL_TLS_CERT_FILE' : 'TEMPORAL_TLS_KEY_FILE';
    ctx.addIssue({ code: 'custom', path: [missing], message: 'a client certificate needs both TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE' });
  }
  const tlsFiles = [config.TEMPORAL_TLS_CA_FILE, config.TEMPORAL_TLS_CERT_FILE, config.TEMPORAL_TLS_SERVER_NAME];
  if (config.TEMPORAL_TLS === false && tlsFiles.some((setting) => setting !== undefined)) {
    ctx.addIssue({ code: 'custom', path: ['TEMPORAL_TLS'], message: 'false, yet TEMPORAL_TLS_* settings are given' });
  }
});

export type Config = z.infer<typeof ConfigSchema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) throw new Error(`invalid configuration: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/** The SQLite file used when DATABASE_URL is not set. */
export function databaseUrl(config: Config): string {
  return config.DATABASE_URL ?? `sqlite://${path.join(config.INTROSPECTOR_DATA_DIR, 'nodes.sqlite')}`;
}

/** Where the APIs listen: API_HOST, else everywhere with authentication and loopback only without. */
export function apiHost(config: Config): string {
  return config.API_HOST ?? (config.AUTH_STRATEGY === 'noauth' ? '127.0.0.1' : '0.0.0.0');
}

export function htpasswdFile(config: Config): string {
  return config.HTPASSWD_FILE ?? path.join(config.INTROSPECTOR_DATA_DIR, 'htpasswd');
}

/**
 * Where the password of the user admin is kept (mode 0600), for the clients on this host.
 * Takes the environment, not a Config: the CLI reads it without the services' settings.
 */
export function adminPasswordFile(env: { INTROSPECTOR_DATA_DIR?: string }): string {
  return path.join(path.resolve(env.INTROSPECTOR_DATA_DIR ?? DEFAULT_DATA_DIR), 'admin-password');
}

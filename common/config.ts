import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { describeZodError } from './validation';

const port = z.coerce.number().int().min(1).max(65535);
/** 0 picks a free port (tests). */
const listenPort = z.coerce.number().int().min(0).max(65535);

// Every setting comes from the environment, with embedded defaults good for one machine.
const ConfigSchema = z.object({
  INTROSPECTOR_DATA_DIR: z.string().default(path.resolve('data')),
  INTROSPECTOR_TOOLS_DIR: z.string().default(path.join(os.homedir(), '.cache', 'introspector', 'bin')),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('introspection'),
  TEMPORAL_UI_PORT: port.default(8233),
  S3_ENDPOINT: z.url().default('http://127.0.0.1:7070'),
  S3_REGION: z.string().default('us-east-1'),
  S3_BUCKET: z.string().min(3).default('introspector'),
  S3_ACCESS_KEY: z.string().min(1).default('introspector'),
  S3_SECRET_KEY: z.string().min(1).default('introspector-secret'),
  DATABASE_URL: z.string().optional(),
  API_HOST: z.string().default('0.0.0.0'),
  INSPECTOR_PORT: listenPort.default(5050),
  NODE_API_PORT: listenPort.default(6385),
  /** Where agents post their data; defaults to this host's inspector port. */
  CALLBACK_URL: z.url().optional(),
  INTROSPECTION_TIMEOUT: z.coerce.number().int().positive().default(3600),
  /** A boot whose agent has not called back by then is power-cycled again. */
  INTROSPECTION_BOOT_TIMEOUT: z.coerce.number().int().positive().default(600),
  INTROSPECTION_BOOT_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(2),
  /** BMC commands per second across all workers (PXE/DHCP and BMCs saturate in bulk). */
  BMC_COMMANDS_PER_SECOND: z.coerce.number().positive().default(20),
  BULK_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(20),
  /** Nodes a bulk run starts before it continues as new. */
  BULK_CONTINUE_AS_NEW_AFTER: z.coerce.number().int().min(1).default(500),
  CONTINUE_BODY_LIMIT: z.string().default('50mb'),
  // Processing hooks: checked by activities/hooks/settings.ts when a worker starts.
  PROCESSING_HOOKS: z.string().optional(),
  PROCESSING_ADD_PORTS: z.string().optional(),
  PROCESSING_KEEP_PORTS: z.string().optional(),
  PROCESSING_PCI_ALIASES: z.string().optional(),
  PROCESSING_MIN_ROOT_DISK_GIB: z.string().optional(),
  IPMI_CIPHER_SUITE: z.coerce.number().int().min(0).max(17).default(3),
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

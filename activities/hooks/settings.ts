import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describeZodError } from '../../common/validation';
import { parseNetwork } from '../rules/cidr';
import { loadCablingPlan } from './acceptance-cabling';
import { loadProfiles } from './acceptance-profiles';
import { DEFAULT_HOOK_ORDER, DEFAULT_PROCESSING_CONFIG, HOOKS } from './index';
import type { ProcessingConfig } from './types';

/** `0x10DE` → `10de`, the form the agent reports (from /sys/bus/pci). */
const bareHex = (id: string) => id.replace(/^0x/i, '').toLowerCase();
const pciId = (what: string) => z.string().regex(/^(0x)?[0-9a-f]{4}$/i, `a 4-digit hex PCI ${what} id`).transform(bareHex);

/** oslo.config's list form, `a,b,c`: entries trimmed, empty ones dropped. */
const commaList = (v: string) => v.split(',').map((e) => e.trim()).filter(Boolean);

/** An optional setting: unset or '' → `fallback`. */
function optional<T extends z.ZodType>(schema: T, fallback: z.output<T>) {
  return z.preprocess((v) => (v === '' ? undefined : v), schema.optional()).transform((v) => v ?? fallback);
}

/** Text that must be JSON, then the schema; `not JSON` otherwise. */
function json<T extends z.ZodType>(schema: T) {
  return z
    .string()
    .transform((v, ctx) => {
      try {
        return JSON.parse(v) as unknown;
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `not JSON: ${(err as Error).message}` });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

/** ironic-inspector's known_accelerators.yaml, as JSON: {pci_devices: [{vendor_id, device_id, type, device_info}]}. */
const AcceleratorsFileSchema = z.object({
  pci_devices: z.array(z.looseObject({ vendor_id: pciId('vendor'), device_id: pciId('device') })).max(10000),
});

/** The accelerator list file named by PROCESSING_ACCELERATORS_FILE, read when the worker starts. */
const acceleratorsFile = z.string().transform((file, ctx) => {
  let content: unknown;
  try {
    content = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `cannot read ${file} as JSON: ${(err as Error).message}` });
    return z.NEVER;
  }
  const parsed = AcceleratorsFileSchema.safeParse(content);
  if (!parsed.success) {
    ctx.addIssue({ code: 'custom', message: `${file}: ${describeZodError(parsed.error)}` });
    return z.NEVER;
  }
  return parsed.data.pci_devices;
});

/** A file or directory read when the worker starts: an error names the setting and the file. */
function loaded<T>(load: (file: string) => T) {
  return z.string().transform((file, ctx) => {
    try {
      return load(file);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });
}

/** `flag:capability,...` (oslo's dict form, as [capabilities]cpu_flags). */
const cpuFlagMap = z
  .string()
  .transform(commaList)
  .pipe(z.array(z.string().regex(/^[a-z0-9_.-]+:[a-z0-9_]+$/i, 'flag:capability with a CPU flag and a capability name (letters, digits, _)')))
  .transform((entries) => Object.fromEntries(entries.map((e) => e.split(':') as [string, string])));

/** `cidr:physnet,...`; the physnet follows the last colon (IPv6 CIDRs have colons). */
const cidrMap = z
  .string()
  .transform(commaList)
  .pipe(
    z.array(
      z
        .string()
        .transform((entry) => {
          const colon = entry.lastIndexOf(':');
          return colon < 0 ? { cidr: entry, physnet: '' } : { cidr: entry.slice(0, colon).trim(), physnet: entry.slice(colon + 1).trim() };
        })
        .refine(
          ({ cidr, physnet }) => physnet.length > 0 && physnet.length <= 64 && cidr.includes('/') && parseNetwork(cidr) !== null,
          'cidr:physnet (a port physical network: 1 to 64 characters), e.g. 10.10.10.0/24:physnet_a',
        ),
    ),
  );

/** The processing settings an operator sets in the worker's environment. */
const ProcessingEnvSchema = z.object({
  /** Hook names in the order they run, comma-separated (ironic-inspector's processing_hooks). */
  PROCESSING_HOOKS: z
    .string()
    .optional()
    .transform((v) => (v ? v.split(',').map((h) => h.trim()).filter(Boolean) : DEFAULT_HOOK_ORDER))
    .refine((names) => names.every((n) => Object.prototype.hasOwnProperty.call(HOOKS, n)), {
      error: (issue) => {
        const unknown = (issue.input as string[]).filter((n) => !Object.prototype.hasOwnProperty.call(HOOKS, n));
        return `unknown hook(s) ${unknown.join(', ')}; known: ${Object.keys(HOOKS).join(', ')}`;
      },
    }),
  PROCESSING_ADD_PORTS: z.enum(['all', 'active', 'pxe', 'disabled']).default(DEFAULT_PROCESSING_CONFIG.addPorts),
  PROCESSING_KEEP_PORTS: z.enum(['all', 'present', 'added']).default(DEFAULT_PROCESSING_CONFIG.keepPorts),
  /** JSON list of {vendor_id, product_id, name}: PCI devices counted into capabilities. */
  PROCESSING_PCI_ALIASES: optional(
    json(
      z.array(
        z.strictObject({
          vendor_id: pciId('vendor'),
          product_id: pciId('device'),
          name: z.string().regex(/^[a-z0-9_]+$/i, 'a capability name: letters, digits, _'),
        }),
      ),
    ),
    DEFAULT_PROCESSING_CONFIG.pciAliases,
  ),
  PROCESSING_MIN_ROOT_DISK_GIB: z.coerce.number().int().min(0).default(DEFAULT_PROCESSING_CONFIG.minRootDiskGiB),
  /** ironic-inspector's [processing]overwrite_existing. */
  PROCESSING_OVERWRITE_EXISTING: optional(z.stringbool(), DEFAULT_PROCESSING_CONFIG.overwriteExisting),
  PROCESSING_CPU_FLAGS: optional(cpuFlagMap, DEFAULT_PROCESSING_CONFIG.cpuFlags),
  PROCESSING_PHYSNET_CIDR_MAP: optional(cidrMap, DEFAULT_PROCESSING_CONFIG.physnetCidrMap),
  PROCESSING_ACCELERATORS_FILE: optional(acceleratorsFile, DEFAULT_PROCESSING_CONFIG.accelerators),
  ACCEPTANCE_PROFILES_DIR: optional(loaded(loadProfiles), DEFAULT_PROCESSING_CONFIG.acceptance.profiles),
  CABLING_PLAN_FILE: optional(loaded(loadCablingPlan), DEFAULT_PROCESSING_CONFIG.acceptance.cabling),
});

export interface ProcessingSettings {
  hookOrder: string[];
  config: ProcessingConfig;
}

/** Reads and checks the processing settings; a bad one is an error naming the variable. */
export function processingSettings(env: Record<string, string | number | boolean | undefined>): ProcessingSettings {
  const parsed = ProcessingEnvSchema.safeParse(env);
  if (!parsed.success) throw new Error(`invalid processing configuration: ${describeZodError(parsed.error)}`);
  const e = parsed.data;
  return {
    hookOrder: e.PROCESSING_HOOKS,
    config: {
      addPorts: e.PROCESSING_ADD_PORTS,
      keepPorts: e.PROCESSING_KEEP_PORTS,
      pciAliases: e.PROCESSING_PCI_ALIASES,
      minRootDiskGiB: e.PROCESSING_MIN_ROOT_DISK_GIB,
      overwriteExisting: e.PROCESSING_OVERWRITE_EXISTING,
      cpuFlags: e.PROCESSING_CPU_FLAGS,
      physnetCidrMap: e.PROCESSING_PHYSNET_CIDR_MAP,
      accelerators: e.PROCESSING_ACCELERATORS_FILE,
      acceptance: { profiles: e.ACCEPTANCE_PROFILES_DIR, cabling: e.CABLING_PLAN_FILE },
    },
  };
}

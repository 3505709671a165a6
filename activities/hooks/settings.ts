import { z } from 'zod';
import { describeZodError } from '../../common/validation';
import { DEFAULT_HOOK_ORDER, DEFAULT_PROCESSING_CONFIG, HOOKS } from './index';
import type { ProcessingConfig } from './types';

/** `0x10DE` → `10de`, the form the agent reports (from /sys/bus/pci). */
const bareHex = (id: string) => id.replace(/^0x/i, '').toLowerCase();

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
  PROCESSING_PCI_ALIASES: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v) return [];
      try {
        return JSON.parse(v) as unknown;
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `not JSON: ${(err as Error).message}` });
        return z.NEVER;
      }
    })
    .pipe(
      z.array(
        z.strictObject({
          vendor_id: z.string().regex(/^(0x)?[0-9a-f]{4}$/i, 'a 4-digit hex PCI vendor id').transform(bareHex),
          product_id: z.string().regex(/^(0x)?[0-9a-f]{4}$/i, 'a 4-digit hex PCI device id').transform(bareHex),
          name: z.string().regex(/^[a-z0-9_]+$/i, 'a capability name: letters, digits, _'),
        }),
      ),
    ),
  PROCESSING_MIN_ROOT_DISK_GIB: z.coerce.number().int().min(0).default(DEFAULT_PROCESSING_CONFIG.minRootDiskGiB),
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
    config: { addPorts: e.PROCESSING_ADD_PORTS, keepPorts: e.PROCESSING_KEEP_PORTS, pciAliases: e.PROCESSING_PCI_ALIASES, minRootDiskGiB: e.PROCESSING_MIN_ROOT_DISK_GIB },
  };
}

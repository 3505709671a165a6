import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { compileRegex } from '../../common/regex';
import { describeZodError } from '../../common/validation';

// Hardware profiles: what was ordered for a rack or a resource class, one file each (JSON or YAML).

const MAX_PROFILES = 1000;
const MAX_PROFILE_BYTES = 64 * 1024;
const count = z.number().int().min(0).max(100000);
const mib = z.number().int().min(0).max(2 ** 40);
const label = z.string().min(1).max(255);
/** A firmware version compared by its numeric parts: 2.10.1 > 2.9. */
const version = z.string().min(1).max(64).regex(/\d/, 'a version with at least one number, e.g. 2.10.1');

export const ProfileSchema = z.strictObject({
  /** Defaults to the file's name without its extension. */
  name: label.optional(),
  /** Nodes it applies to: a rack (extra.rack), a resource class, or both. */
  match: z
    .strictObject({ rack: label.optional(), resource_class: label.optional() })
    .refine((m) => m.rack !== undefined || m.resource_class !== undefined, 'rack or resource_class (or both)'),
  cpu: z
    .strictObject({
      /** A substring of the model name, case-insensitive. */
      model: z.string().min(1).max(255).optional(),
      /** A regular expression (linear-time engine) the model name must match. */
      model_regex: z
        .string()
        .min(1)
        .superRefine((p, ctx) => {
          try {
            compileRegex(p);
          } catch (err) {
            ctx.addIssue({ code: 'custom', message: (err as Error).message });
          }
        })
        .optional(),
      count: count.optional(),
      min_count: count.optional(),
    })
    .optional(),
  memory: z.strictObject({ min_mib: mib.optional(), exact_mib: mib.optional() }).optional(),
  disks: z
    .strictObject({
      count: count.optional(),
      /** Each disk at least this large. */
      min_size_gib: z.number().positive().optional(),
      /** Each disk of this type: nvme by transport, else ssd/hdd by rotational. */
      type: z.enum(['ssd', 'hdd', 'nvme']).optional(),
    })
    .optional(),
  nics: z.strictObject({ count: count.optional(), min_speed_mbps: z.number().int().min(0).max(10_000_000).optional() }).optional(),
  firmware: z.strictObject({ bios_min: version.optional(), bmc_min: version.optional() }).optional(),
});

export type AcceptanceProfile = z.infer<typeof ProfileSchema> & { name: string };

/** rack and resource class > rack > resource class. */
export const specificity = (p: AcceptanceProfile) => (p.match.rack !== undefined ? 2 : 0) + (p.match.resource_class !== undefined ? 1 : 0);

/** The most specific profile matching the node; null when none does. */
export function profileFor(profiles: AcceptanceProfile[], node: { resource_class: string | null; rack: unknown }): AcceptanceProfile | null {
  let best: AcceptanceProfile | null = null;
  for (const p of profiles) {
    if (p.match.rack !== undefined && p.match.rack !== node.rack) continue;
    if (p.match.resource_class !== undefined && p.match.resource_class !== node.resource_class) continue;
    if (!best || specificity(p) > specificity(best)) best = p;
  }
  return best;
}

function parseFile(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  return /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 });
}

/**
 * Every *.json, *.yaml and *.yml of `dir`, checked: an error names the file and the field. Two
 * profiles with the same match are refused (which would apply is not clear).
 */
export function loadProfiles(dir: string): AcceptanceProfile[] {
  const files = readdirSync(dir)
    .filter((f) => /\.(json|ya?ml)$/i.test(f))
    .sort();
  if (files.length > MAX_PROFILES) throw new Error(`${dir}: ${files.length} profiles, more than ${MAX_PROFILES}`);
  const byMatch = new Map<string, string>();
  return files.map((f) => {
    const file = path.join(dir, f);
    if (statSync(file).size > MAX_PROFILE_BYTES) throw new Error(`${file}: larger than ${MAX_PROFILE_BYTES} bytes`);
    let content: unknown;
    try {
      content = parseFile(file);
    } catch (err) {
      throw new Error(`${file}: not valid ${/\.json$/i.test(f) ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
    }
    const parsed = ProfileSchema.safeParse(content);
    if (!parsed.success) throw new Error(`${file}: ${describeZodError(parsed.error)}`);
    const key = JSON.stringify([parsed.data.match.rack ?? null, parsed.data.match.resource_class ?? null]);
    const other = byMatch.get(key);
    if (other) throw new Error(`${file}: match: the same as ${other}'s; one profile per rack / resource class`);
    byMatch.set(key, file);
    return { ...parsed.data, name: parsed.data.name ?? f.replace(/\.(json|ya?ml)$/i, '') };
  });
}

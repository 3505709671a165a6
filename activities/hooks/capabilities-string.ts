import type { HookContext } from './types';

// Ironic stores node capabilities as a `key:value,key:value` string in
// properties.capabilities. Parsing is lossless for what the node already has:
// whitespace around keys/values is trimmed, and an entry without a value (`key`)
// is kept as a bare key and written back as such.

export type CapabilityValue = string | number | boolean;

/** Parses a capabilities string (or an already-parsed object) into an ordered map; null = bare key. */
export function parseCapabilities(value: unknown): Map<string, string | null> {
  const result = new Map<string, string | null>();
  if (typeof value === 'string') {
    for (const entry of value.split(',')) {
      const idx = entry.indexOf(':');
      const key = (idx < 0 ? entry : entry.slice(0, idx)).trim();
      if (!key) continue;
      result.set(key, idx < 0 ? null : entry.slice(idx + 1).trim());
    }
  } else if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, val] of Object.entries(value as Record<string, unknown>)) {
      if (val !== null && val !== undefined) result.set(key, String(val));
    }
  }
  return result;
}

/** Serializes to `key:value,...` in insertion order (a null value writes the bare key). */
export function serializeCapabilities(caps: Map<string, string | null> | Record<string, CapabilityValue>): string {
  const entries: [string, unknown][] = caps instanceof Map ? [...caps.entries()] : Object.entries(caps);
  return entries.map(([k, v]) => (v === null ? k : `${k}:${String(v)}`)).join(',');
}

/**
 * Merges `caps` into the capabilities the pipeline has decided so far (the patch's,
 * else the node's): existing keys keep their place and value unless overwritten,
 * new keys are appended. Every hook that sets capabilities goes through this, so
 * hook order only changes key order in the string, never the result's content.
 */
export function mergeCapabilities(ctx: HookContext, caps: Record<string, CapabilityValue>): void {
  if (Object.keys(caps).length === 0) return;
  const base =
    'capabilities' in ctx.patch.properties ? ctx.patch.properties.capabilities : ctx.node.properties.capabilities;
  const merged = parseCapabilities(base);
  for (const [key, value] of Object.entries(caps)) merged.set(key, String(value));
  ctx.patch.properties.capabilities = serializeCapabilities(merged);
}

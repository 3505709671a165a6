import type { ProcessingHook } from './types';

const EDEPLOY_ITEM_SIZE = 4;

/** The eDeploy/hardware collector format: a list of [category, item, key, value]. */
function isEdeployData(data: unknown): data is unknown[][] {
  return Array.isArray(data) && data.every((item) => Array.isArray(item) && item.length === EDEPLOY_ITEM_SIZE);
}

/** [[a, b, c, v], ...] → {a: {b: {c: v}}}, integer-looking strings become numbers. */
export function convertEdeployData(data: unknown[][]): Record<string, Record<string, Record<string, unknown>>> {
  const converted: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const [a, b, c, value] of data) {
    const level1 = (converted[String(a)] ??= {});
    const level2 = (level1[String(b)] ??= {});
    level2[String(c)] =
      typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value) && Number.isSafeInteger(Number(value))
        ? Number(value)
        : value;
  }
  return converted;
}

/**
 * Moves the extra-hardware collector's `data` out of the processed data into its
 * own object `extra_hardware-<uuid>`, points extra.hardware_swift_object at it,
 * and (eDeploy format) leaves a nested dict in data.extra for introspection rules.
 */
export const extraHardwareHook: ProcessingHook = {
  name: 'extra_hardware',
  beforeUpdate(ctx) {
    if (!('data' in ctx.data) || ctx.data.data === undefined) return;
    const raw = ctx.data.data;
    const name = `extra_hardware-${ctx.node.uuid}`;
    ctx.objects[name] = raw;
    if (isEdeployData(raw)) ctx.data.extra = convertEdeployData(raw);
    delete ctx.data.data;
    ctx.patch.extra.hardware_swift_object = name;
  },
};

// Runs the collectors and validates the result against the shared contract.
// A collector that throws is recorded under `collector_errors` and the others
// still run; if the inventory is missing or the payload does not validate, the
// collection is "broken" and an IPA-style error payload is produced instead.
// Every string of the result goes through ctx.redact: tools such as hardware-detect
// report the kernel command line, which carries the agent token.

import { IntrospectionDataSchema } from '../common/inventory';
import { describeZodError } from '../common/validation';
import { COLLECTORS, orderCollectors, type Payload } from './collectors';
import type { CollectorContext } from './context';
import { errorMessage } from './log';
import { redactStrings } from './redact';

export interface CollectionResult {
  /** What to send: the validated data, or the error payload when broken. */
  payload: Payload;
  broken: boolean;
  /** Why the collection is broken. */
  error: string | null;
  collectorErrors: Record<string, string>;
  durationMs: number;
}

export async function runCollectors(names: string[], ctx: CollectorContext): Promise<CollectionResult> {
  const started = Date.now();
  const collected: Payload = {};
  const collectorErrors: Record<string, string> = {};
  for (const name of orderCollectors(names)) {
    const collector = COLLECTORS[name];
    if (!collector) {
      collectorErrors[name] = 'unknown collector';
      continue;
    }
    const t0 = Date.now();
    try {
      await collector(collected, ctx);
      ctx.log.debug('collector finished', { collector: name, ms: Date.now() - t0 });
    } catch (error) {
      collectorErrors[name] = ctx.redact(errorMessage(error));
      ctx.log.error('collector failed', { collector: name, error: collectorErrors[name] });
    }
  }
  const data = redactStrings(collected, ctx.redact);
  if (Object.keys(collectorErrors).length) data.collector_errors = collectorErrors;
  // IPA always sends `error`; null means the ramdisk itself is fine.
  data.error = null;

  let error: string | null = null;
  if (!data.inventory) {
    error = `inventory collection failed: ${collectorErrors.default ?? 'the default collector did not run'}`;
  } else {
    const parsed = IntrospectionDataSchema.safeParse(data);
    if (!parsed.success) error = `collected data does not match the introspection schema: ${describeZodError(parsed.error)}`;
  }
  const durationMs = Date.now() - started;
  if (error) {
    ctx.log.error('collection broken', { error });
    return { payload: errorPayload(error, data, collectorErrors, ctx), broken: true, error, collectorErrors, durationMs };
  }
  ctx.log.info('collection finished', { ms: durationMs, failed_collectors: Object.keys(collectorErrors).join(',') || null });
  return { payload: data, broken: false, error: null, collectorErrors, durationMs };
}

/**
 * What IPA sends when the ramdisk broke: the error, plus the logs when we have them, and
 * what little identifies this machine (PXE MAC, BMC address) so the server can record it.
 */
export function errorPayload(
  error: string,
  data: Payload = {},
  collectorErrors: Record<string, string> = {},
  identity: { bootif: string | null; bmcAddress: string | null } = { bootif: null, bmcAddress: null },
): Payload {
  const payload: Payload = { error };
  if (identity.bootif) payload.boot_interface = identity.bootif;
  if (identity.bmcAddress) payload.inventory = { bmc_address: identity.bmcAddress };
  if (Object.keys(collectorErrors).length) payload.collector_errors = collectorErrors;
  if (typeof data.logs === 'string') payload.logs = data.logs;
  return payload;
}

import type { CollectorContext } from '../context';

/** The JSON object being built for /v1/continue. */
export type Payload = Record<string, unknown>;

/** A collector adds keys to the payload; throwing records its error and the others still run. */
export type Collector = (data: Payload, ctx: CollectorContext) => Promise<void>;

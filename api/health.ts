import { isGrpcServiceError } from '@temporalio/client';
import { Router, type RequestHandler } from 'express';
import { UnavailableError } from '../common/errors';

// Liveness (/healthz: the process answers) and readiness (/readyz: Temporal, S3 and the
// registry answer). The same probes guard the routes that need those services: while one is
// unreachable (found within 2 s) they answer 503 with Retry-After at once, instead of an error after the
// clients' own retries (20 s for Temporal), so agents back off and nothing is lost.

export type DependencyName = 'temporal' | 's3' | 'registry';

export interface Dependency {
  name: DependencyName;
  /** Resolves when the service answers; rejects (or is abandoned after the timeout) otherwise. */
  probe(timeoutMs: number): Promise<unknown>;
}

interface Reading {
  ok: boolean;
  error: string | null;
  checkedAt: string;
}

export const RETRY_AFTER_SECONDS = 5;
/** gRPC status codes UNAVAILABLE and DEADLINE_EXCEEDED. */
const GRPC_UNREACHABLE = [14, 4];
const SOCKET_UNREACHABLE = ['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ETIMEDOUT', 'ENOTFOUND'];

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);

/** Whether an error says a service could not be reached (rather than that it refused the request). */
export function isUnreachable(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if (isGrpcServiceError(e) && GRPC_UNREACHABLE.includes(e.code)) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && SOCKET_UNREACHABLE.includes(code)) return true;
    if (e === (e as { cause?: unknown }).cause) break;
  }
  return false;
}

export class DependencyMonitor {
  private readonly readings = new Map<DependencyName, Reading>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private probing: Promise<Record<DependencyName, Reading>> | undefined;
  /** The probes' own calls, which may outlive their timeout by a moment. */
  private readonly calls = new Set<Promise<unknown>>();

  constructor(
    private readonly dependencies: Dependency[],
    private readonly options = { intervalMs: 1000, timeoutMs: 900 },
  ) {}

  /** Probes now and then every interval, in the background. */
  start(): void {
    void this.check();
    this.timer = setInterval(() => void this.check(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops probing; resolves once no probe's call is under way, so that the clients can be closed under none. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.stopped = true;
    await Promise.allSettled([...this.calls]);
  }

  /** Probes every dependency now, all at once (joining a probe already under way). */
  check(): Promise<Record<DependencyName, Reading>> {
    if (this.stopped) return Promise.resolve(Object.fromEntries(this.readings) as Record<DependencyName, Reading>);
    this.probing ??= Promise.all(this.dependencies.map((d) => this.probe(d)))
      .then(() => Object.fromEntries(this.readings) as Record<DependencyName, Reading>)
      .finally(() => (this.probing = undefined));
    return this.probing;
  }

  /** A request could not reach a service: probe now, so that the next requests are answered 503 at once. */
  reportUnreachable(err: unknown): void {
    if (isUnreachable(err)) void this.check();
  }

  /** The dependencies last seen unreachable (a dependency never probed yet counts as reachable). */
  missing(names: DependencyName[] = this.dependencies.map((d) => d.name)): string[] {
    return names.filter((n) => this.readings.get(n)?.ok === false).map((n) => `${n} (${this.readings.get(n)!.error})`);
  }

  private async probe(d: Dependency): Promise<void> {
    let error: string | null = null;
    const call = d.probe(this.options.timeoutMs);
    this.calls.add(call);
    void call.catch(() => undefined).finally(() => this.calls.delete(call));
    try {
      await withTimeout(call, this.options.timeoutMs);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    this.readings.set(d.name, { ok: error === null, error, checkedAt: new Date().toISOString() });
  }
}

/** 503 with Retry-After while a service these routes need is unreachable. */
export function requireDependencies(monitor: DependencyMonitor, names: DependencyName[]): RequestHandler {
  return (_req, _res, next) => {
    const missing = monitor.missing(names);
    if (missing.length) next(new UnavailableError(`unavailable: cannot reach ${missing.join(', ')}; try again later`, RETRY_AFTER_SECONDS));
    else next();
  };
}

export function healthRoutes(monitor: DependencyMonitor): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'alive' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks = await monitor.check();
    const ready = Object.values(checks).every((c) => c.ok);
    if (!ready) res.set('Retry-After', String(RETRY_AFTER_SECONDS));
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });
  return router;
}

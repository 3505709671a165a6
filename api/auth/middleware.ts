import { createHmac, randomBytes } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { htpasswdFile, type Config } from '../../common/config';
import { ForbiddenError, UnauthorizedError } from '../../common/errors';
import { Htpasswd } from './htpasswd';

export type Role = 'admin' | 'reader';
export interface Caller {
  user: string | null;
  role: Role;
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const REALM = 'Basic realm="introspector", charset="UTF-8"';
const CACHE_TTL_MS = 5 * 60 * 1000;
const CACHE_MAX = 1000;
/** Wrong passwords a client address may try per window before it waits (bcrypt is slow on purpose). */
const MAX_FAILURES = 20;
const FAILURE_WINDOW_MS = 60 * 1000;

export const isWrite = (req: Request) => !READ_METHODS.has(req.method);

/**
 * A plain browser form (or a script on another site) cannot send a JSON body or hide where it
 * comes from: writes that carry an Origin or a cross-site Sec-Fetch-Site, or a body that is not
 * JSON, are refused. The API has no pages of its own, so no browser has a reason to write.
 */
export const refuseBrowserWrites: RequestHandler = (req, _res, next) => {
  if (!isWrite(req)) return next();
  const site = req.get('sec-fetch-site');
  if (req.get('origin') !== undefined || (site !== undefined && site !== 'none')) {
    return next(new ForbiddenError('requests from web pages are refused: use the API from a client (curl, the CLI, openstack)'));
  }
  const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
  if (hasBody && !req.is(['application/json', 'application/*+json'])) {
    return next(Object.assign(new Error('Content-Type: a request body must be application/json'), { status: 415 }));
  }
  next();
};

/** Who may do what: HTTP basic against an htpasswd file (Ironic's http_basic), or noauth. */
export class Authenticator {
  private readonly htpasswd?: Htpasswd;
  private readonly admins: Set<string>;
  /** Verified credentials, so that bcrypt runs once per client and not once per request. */
  private readonly verified = new Map<string, { caller: Caller; expires: number; generation: number }>();
  private readonly cacheKey = randomBytes(32);
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(config: Config) {
    if (config.AUTH_STRATEGY === 'http_basic') this.htpasswd = new Htpasswd(htpasswdFile(config));
    this.admins = new Set(config.AUTH_ADMIN_USERS.split(',').map((u) => u.trim()).filter(Boolean));
  }

  /** Authenticates every request that reaches it; readers may only read. */
  middleware(): RequestHandler {
    return async (req, res, next) => {
      try {
        const client = req.socket.remoteAddress ?? '';
        this.refuseGuessing(client, res);
        const caller = await this.identify(req.get('authorization'), client);
        if (!caller) {
          res.set('WWW-Authenticate', REALM);
          throw new UnauthorizedError('authentication required: HTTP basic credentials of an Introspector user');
        }
        if (caller.role !== 'admin' && isWrite(req)) throw new ForbiddenError(`user ${caller.user} has the reader role and may not change anything`);
        res.locals.caller = caller;
        next();
      } catch (err) {
        next(err);
      }
    };
  }

  /** A client that keeps guessing waits out the window, without costing a bcrypt run per guess. */
  private refuseGuessing(client: string, res: Response): void {
    const seen = this.failures.get(client);
    if (!seen || seen.count < MAX_FAILURES) return;
    const waitMs = seen.since + FAILURE_WINDOW_MS - Date.now();
    if (waitMs <= 0) {
      this.failures.delete(client);
      return;
    }
    res.set('Retry-After', String(Math.ceil(waitMs / 1000)));
    throw Object.assign(new Error(`too many wrong credentials from ${client}; try again in ${Math.ceil(waitMs / 1000)} s`), { status: 429 });
  }

  private recordFailure(client: string): void {
    const seen = this.failures.get(client);
    if (seen && Date.now() - seen.since < FAILURE_WINDOW_MS) seen.count++;
    else {
      if (this.failures.size >= CACHE_MAX * 10) this.failures.clear();
      this.failures.set(client, { count: 1, since: Date.now() });
    }
  }

  private async identify(header: string | undefined, client: string): Promise<Caller | undefined> {
    if (!this.htpasswd) return { user: null, role: 'admin' };
    this.htpasswd.refresh();
    if (!header || header.length > 1024 || !/^basic /i.test(header)) return undefined;
    const key = createHmac('sha256', this.cacheKey).update(header).digest('base64');
    const cached = this.verified.get(key);
    if (cached && cached.expires > Date.now() && cached.generation === this.htpasswd.generation) return cached.caller;
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return undefined;
    const user = decoded.slice(0, colon);
    if (!(await this.htpasswd.verify(user, decoded.slice(colon + 1)))) {
      this.recordFailure(client);
      return undefined;
    }
    const caller: Caller = { user, role: this.admins.has(user) ? 'admin' : 'reader' };
    if (this.verified.size >= CACHE_MAX) this.verified.clear();
    this.verified.set(key, { caller, expires: Date.now() + CACHE_TTL_MS, generation: this.htpasswd.generation });
    return caller;
  }
}

/** For reads that only admins may make (the ramdisk's logs). */
export const requireAdmin: RequestHandler<Record<string, string>> = (_req, res, next) => {
  const caller = res.locals.caller as Caller | undefined;
  if (caller?.role !== 'admin') return next(new ForbiddenError(`user ${caller?.user ?? '(anonymous)'} may not read this: it needs the admin role`));
  next();
};

import { Router, type Request, type RequestHandler, type Response } from 'express';
import { formatVersion, NotAcceptableError, requestedVersion, VersionRange, type Microversion } from './microversions';
import { baseUrl, links, type Link } from './node-bodies';

// Ironic's API microversions: the range this API speaks, the version of each answer, and the
// version documents at / and /v1 that clients read to negotiate.

export const MIN_API_VERSION = '1.1';
/** 1.96: inspection rules (1.81 node inventory, 1.84 continue_inspection). */
export const MAX_API_VERSION = '1.96';
const RANGE = new VersionRange(MIN_API_VERSION, MAX_API_VERSION);

const VERSION_HEADER = 'X-OpenStack-Ironic-API-Version';
const MIN_HEADER = 'X-OpenStack-Ironic-API-Minimum-Version';
const MAX_HEADER = 'X-OpenStack-Ironic-API-Maximum-Version';

const RANGE_TEXT = `The supported version range is: [${MIN_API_VERSION}, ${MAX_API_VERSION}].`;

/** The version to answer with; 406 for one outside the range or not a version at all. */
export function negotiateVersion(requested: string | undefined): Microversion {
  if (requested === undefined) return RANGE.max;
  const resolved = RANGE.resolve(requested);
  if ('malformed' in resolved) {
    throw new NotAcceptableError(`Invalid value "${requested}" for the ${VERSION_HEADER} header: expected a version like ${MAX_API_VERSION}, or latest. ${RANGE_TEXT}`);
  }
  if ('unsupported' in resolved) {
    throw new NotAcceptableError(`Version ${formatVersion(resolved.unsupported)} was requested but is not supported by this service. ${RANGE_TEXT}`);
  }
  return resolved.version;
}

/** The version of this request, as the version middleware negotiated it; `explicit`: the client named one. */
export interface NegotiatedVersion {
  version: Microversion;
  explicit: boolean;
}

export const negotiatedVersion = (res: Response): NegotiatedVersion => res.locals.apiVersion as NegotiatedVersion;

/** Sets the version headers on every answer (errors included) and refuses unsupported versions. */
export function apiVersionHeaders(): RequestHandler {
  return (req, res, next) => {
    res.set(MIN_HEADER, MIN_API_VERSION);
    res.set(MAX_HEADER, MAX_API_VERSION);
    res.vary(VERSION_HEADER);
    res.set(VERSION_HEADER, MAX_API_VERSION);
    const requested = requestedVersion(req, VERSION_HEADER, 'baremetal');
    const version = negotiateVersion(requested);
    res.locals.apiVersion = { version, explicit: requested !== undefined } satisfies NegotiatedVersion;
    res.set(VERSION_HEADER, formatVersion(version));
    next();
  };
}

/**
 * Routes that a version introduced: below it Ironic answers 404, as if they did not exist, or
 * (`writes: 405`, as its inspection rules) 405 to anything but a read. Mount before the routes.
 */
export function sinceVersion(since: string, refusal: { message?: string; writes?: 404 | 405 } = {}): RequestHandler {
  return (req, res, next) => {
    const { version } = negotiatedVersion(res);
    if (VersionRange.atLeast(version, since)) return next();
    const message = `${refusal.message ?? 'The resource could not be found'}: it needs API version ${since} or newer (requested ${formatVersion(version)}).`;
    const status = req.method === 'GET' || req.method === 'HEAD' ? 404 : (refusal.writes ?? 404);
    next(Object.assign(new Error(message), { status }));
  };
}

function versionDocument(req: Request) {
  return {
    id: 'v1',
    links: [{ href: `${baseUrl(req)}/v1/`, rel: 'self' }] as Link[],
    status: 'CURRENT',
    min_version: MIN_API_VERSION,
    version: MAX_API_VERSION,
  };
}

/** GET / and GET /v1, shaped as Ironic answers them. */
export function versionRoutes(): Router {
  const router = Router();
  router.get('/', (req, res) => {
    res.json({
      name: 'OpenStack Ironic API',
      description: 'Introspector node registry, speaking the Ironic bare metal API (nodes, ports, provision states, traits).',
      default_version: versionDocument(req),
      versions: [versionDocument(req)],
    });
  });
  router.get('/v1', (req, res) => {
    res.json({
      id: 'v1',
      links: [
        { href: `${baseUrl(req)}/v1/`, rel: 'self' },
        { href: 'https://docs.openstack.org/ironic/latest/contributor/webapi.html', rel: 'describedby', type: 'text/html' },
      ],
      media_types: { base: 'application/json', type: 'application/vnd.openstack.ironic.v1+json' },
      nodes: links(req, 'nodes/'),
      ports: links(req, 'ports/'),
      version: versionDocument(req),
    });
  });
  return router;
}

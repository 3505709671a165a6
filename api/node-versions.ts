import { Router, type Request, type RequestHandler } from 'express';
import { baseUrl, links, type Link } from './node-bodies';

// Ironic's API microversions: the range this API speaks, the version of each answer, and the
// version documents at / and /v1 that clients read to negotiate.

export const MIN_API_VERSION = '1.1';
export const MAX_API_VERSION = '1.78';

const VERSION_HEADER = 'X-OpenStack-Ironic-API-Version';
const MIN_HEADER = 'X-OpenStack-Ironic-API-Minimum-Version';
const MAX_HEADER = 'X-OpenStack-Ironic-API-Maximum-Version';

class NotAcceptableError extends Error {
  readonly status = 406;
}

const minor = (version: string) => Number(version.split('.')[1]);
const RANGE = `The supported version range is: [${MIN_API_VERSION}, ${MAX_API_VERSION}].`;

/** The version asked for in either header (`X-OpenStack-Ironic-API-Version: 1.78` or `OpenStack-API-Version: baremetal 1.78`). */
function requestedVersion(req: Request): string | undefined {
  const legacy = req.get(VERSION_HEADER);
  if (legacy !== undefined) return legacy;
  const standard = req.get('OpenStack-API-Version')?.trim();
  return standard && /^baremetal\s/i.test(standard) ? standard.replace(/^baremetal\s+/i, '') : undefined;
}

/** The version to answer with; 406 for one outside the range or not a version at all. */
export function negotiateVersion(requested: string | undefined): string {
  if (requested === undefined) return MAX_API_VERSION;
  const asked = requested.trim().toLowerCase();
  if (asked === 'latest') return MAX_API_VERSION;
  const match = /^(\d+)\.(\d+)$/.exec(asked);
  if (!match) throw new NotAcceptableError(`Invalid value "${requested}" for the ${VERSION_HEADER} header: expected a version like ${MAX_API_VERSION}, or latest. ${RANGE}`);
  const [major, min] = [Number(match[1]), Number(match[2])];
  if (major !== 1 || min < minor(MIN_API_VERSION) || min > minor(MAX_API_VERSION)) {
    throw new NotAcceptableError(`Version ${major}.${min} was requested but is not supported by this service. ${RANGE}`);
  }
  return `${major}.${min}`;
}

/** Sets the version headers on every answer (errors included) and refuses unsupported versions. */
export function apiVersionHeaders(): RequestHandler {
  return (req, res, next) => {
    res.set(MIN_HEADER, MIN_API_VERSION);
    res.set(MAX_HEADER, MAX_API_VERSION);
    res.vary(VERSION_HEADER);
    res.set(VERSION_HEADER, MAX_API_VERSION);
    res.set(VERSION_HEADER, negotiateVersion(requestedVersion(req)));
    next();
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

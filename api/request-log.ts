import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

// One log line per request (pino-http): its id (the caller's X-Request-Id when it is a plain
// token, else a new one, echoed back), method, path, status, time, and the node it names;
// 5xx at error, 4xx at warn. Headers that carry secrets are censored by the logger.

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The node a path names: /v1/introspection/<node>..., /v1/nodes/<node>... (not the bulk routes). */
export function nodeOfPath(path: string): string | undefined {
  const [, version, collection, ident] = path.split('/');
  if (version !== 'v1' || !ident) return undefined;
  if (collection !== 'nodes' && (collection !== 'introspection' || ident === 'bulk')) return undefined;
  try {
    return decodeURIComponent(ident);
  } catch {
    return ident; // not valid percent-encoding: as it came
  }
}

export function requestLog(logger: Logger, api: 'inspector' | 'ironic'): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: (req, res) => {
      const incoming = req.headers['x-request-id'];
      const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    customProps: (req) => {
      const node = nodeOfPath((req.url ?? '').split('?')[0]);
      return node ? { api, node } : { api };
    },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    serializers: {
      req: (req) => ({ id: req.id, method: req.method, path: String(req.url ?? '').split('?')[0], remoteAddress: req.remoteAddress }),
      res: (res) => ({ statusCode: res.statusCode }),
    },
  }) as unknown as RequestHandler;
}

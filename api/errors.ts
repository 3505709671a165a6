import type { ErrorRequestHandler } from 'express';
import { httpStatusOf, UnavailableError } from '../common/errors';
import { log } from '../common/log';
import { isUnreachable, RETRY_AFTER_SECONDS, type DependencyMonitor } from './health';

export type ErrorStyle = 'inspector' | 'ironic';

/** Status for an error: our own error classes, body-parser's (413/400), else 500. */
function statusOf(err: unknown): number {
  if (isUnreachable(err)) return 503;
  const status = httpStatusOf(err);
  if (status !== 500) return status;
  const bodyParser = err as { status?: number; type?: string };
  return typeof bodyParser.status === 'number' && bodyParser.status >= 400 && bodyParser.status < 500 ? bodyParser.status : 500;
}

function messageOf(err: unknown, status: number): string {
  const e = err as { type?: string; message?: string; limit?: number };
  if (e.type === 'entity.too.large') return `request body is larger than the limit of ${e.limit} bytes`;
  if (e.type === 'entity.parse.failed') return `request body is not valid JSON: ${e.message}`;
  if (status === 500) return 'internal error; see the API log';
  if (status === 503 && !(err instanceof UnavailableError)) return 'a service this request needs cannot be reached; try again later';
  return e.message ?? String(err);
}

/**
 * Error bodies as each client expects them: ironic-inspector's `{"error": {"message"}}`,
 * Ironic's `{"error_message": "{\"faultstring\": ...}"}` (a JSON string inside JSON).
 */
export function errorHandler(style: ErrorStyle, monitor?: DependencyMonitor): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const status = statusOf(err);
    const message = messageOf(err, status);
    if (status === 500) log().error({ err, method: req.method, path: req.path }, 'request failed');
    if (status === 503) {
      monitor?.reportUnreachable(err);
      res.set('Retry-After', String(err instanceof UnavailableError ? err.retryAfterSeconds : RETRY_AFTER_SECONDS));
    }
    if (style === 'inspector') res.status(status).json({ error: { message } });
    else res.status(status).json({ error_message: JSON.stringify({ faultstring: message, debuginfo: null }) });
  };
}

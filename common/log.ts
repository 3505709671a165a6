import pino, { type DestinationStream, type Logger } from 'pino';
import { LOG_LEVELS } from './config';

// Structured logs (pino: one JSON object a line) for the API, the worker and its activities,
// at LOG_LEVEL (default info). What could carry a secret is censored by configuration, wherever
// it appears in a logged object: credentials, BMC passwords, run tokens.

const SECRET_KEYS = ['password', 'ipmi_password', 'redfish_password', 'agent_token', 'token', 'secret', 'apiKey', 'S3_SECRET_KEY', 'INTROSPECTOR_ADMIN_PASSWORD'];

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-agent-token"]',
  'res.headers["set-cookie"]',
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((key) => `*.${key}`),
  ...SECRET_KEYS.map((key) => `*.*.${key}`),
];

export function createLogger(service: 'api' | 'worker', level: string = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  const options = {
    level: (LOG_LEVELS as readonly string[]).includes(level) ? level : 'info',
    base: { service },
    redact: { paths: REDACTED_PATHS, censor: '******' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}

/** The process's logger (the API's or the worker's: named by whoever calls setLogger first). */
let current: Logger | undefined;
export const log = (): Logger => (current ??= createLogger('api'));
export const setLogger = (logger: Logger): Logger => (current = logger);

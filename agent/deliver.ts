// POSTs the payload to the callback URL with retries: exponential backoff with
// jitter on network errors, 5xx and 429 (Retry-After honoured), no retry on
// other 4xx (the server's {"error":{"message":...}} is reported), all within
// a total deadline. The run's agent token travels in the X-Agent-Token header,
// never in the body or a log line. Clock, sleep, randomness and fetch are injectable.

import { NOT_WAITING_YET } from '../common/api-types';
import { type Logger, errorMessage, redactUrl, silentLogger } from './log';

export interface DeliverOptions {
  /** Total time for all attempts and waits. */
  deadlineMs: number;
  /** The run's token from the boot script (sent as X-Agent-Token). */
  agentToken?: string | null;
  /** First backoff step; doubles per attempt. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per-attempt request timeout (capped by the remaining deadline). */
  attemptTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
  fetch?: typeof fetch;
  log?: Logger;
}

export type DeliveryResult =
  | { ok: true; status: number; attempts: number; body: unknown }
  | { ok: false; reason: 'rejected'; status: number; message: string; attempts: number }
  | { ok: false; reason: 'deadline'; attempts: number; message: string };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The server's explanation: {"error":{"message":...}}, {"error":"..."}, {"message":...} or the text itself. */
export function serverMessage(body: string): string {
  const text = body.trim();
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    const err = json?.error;
    if (err && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string') {
      return (err as { message: string }).message;
    }
    if (typeof err === 'string') return err;
    if (typeof json?.message === 'string') return json.message;
    if (typeof json?.error_message === 'string') return json.error_message;
  } catch {
    // not JSON
  }
  return text.length > 500 ? `${text.slice(0, 500)}...` : text || '(empty response body)';
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; null when absent or unparsable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (!value) return null;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - nowMs);
}

/** Backoff before retry number `attempt` (1-based): base*2^(attempt-1), capped, "equal jitter". */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const cap = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

/**
 * fetch() refuses URLs with user:password@; turn them into HTTP basic auth
 * (an inspector behind basic authentication).
 */
export function splitCredentials(raw: string): { url: string; authorization: string | null } {
  const url = new URL(raw);
  if (!url.username && !url.password) return { url: raw, authorization: null };
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  return { url: url.toString(), authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

export async function deliver(url: string, payload: unknown, options: DeliverOptions): Promise<DeliveryResult> {
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const fetchImpl = options.fetch ?? fetch;
  const log = options.log ?? silentLogger;
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 30000;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 30000;
  const target = redactUrl(url);
  const body = JSON.stringify(payload);
  const { url: requestUrl, authorization } = splitCredentials(url);
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (authorization) headers.authorization = authorization;
  if (options.agentToken) headers['x-agent-token'] = options.agentToken;
  const deadline = now() + options.deadlineMs;

  let attempts = 0;
  for (;;) {
    const remaining = deadline - now();
    if (remaining <= 0) {
      return { ok: false, reason: 'deadline', attempts, message: `delivery deadline of ${options.deadlineMs} ms exceeded` };
    }
    attempts += 1;
    let retryAfterMs: number | null = null;
    let problem: string;
    try {
      log.info('posting introspection data', { url: target, attempt: attempts, bytes: Buffer.byteLength(body) });
      const response = await fetchImpl(requestUrl, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(Math.max(1, Math.min(attemptTimeoutMs, remaining))),
      });
      const text = await response.text();
      if (response.ok) {
        let parsed: unknown = null;
        try {
          parsed = text ? JSON.parse(text) : null;
        } catch {
          parsed = text;
        }
        const uuid = parsed && typeof parsed === 'object' ? (parsed as { uuid?: unknown }).uuid : undefined;
        log.info('introspection data delivered', {
          status: response.status,
          attempts,
          node: typeof uuid === 'string' ? uuid : undefined,
        });
        return { ok: true, status: response.status, attempts, body: parsed };
      }
      const message = serverMessage(text);
      // A run that is about to wait for the data says so: worth another try, within the deadline.
      const notYet = response.status === 409 && message.includes(NOT_WAITING_YET);
      if (response.status !== 429 && response.status < 500 && !notYet) {
        log.error('introspection data rejected', { status: response.status, message });
        return { ok: false, reason: 'rejected', status: response.status, message, attempts };
      }
      problem = `HTTP ${response.status}: ${message}`;
      if (response.status === 429 || response.status === 503) {
        retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now());
      }
    } catch (error) {
      problem = errorMessage(error);
    }

    const delay = retryAfterMs ?? backoffDelay(attempts, baseDelayMs, maxDelayMs, random);
    const left = deadline - now();
    if (delay >= left) {
      log.error('giving up: the next attempt would be past the delivery deadline', {
        attempts,
        last_error: problem,
        wait_ms: delay,
        left_ms: Math.max(0, left),
      });
      return {
        ok: false,
        reason: 'deadline',
        attempts,
        message: `delivery deadline of ${options.deadlineMs} ms exceeded after ${attempts} attempt(s); last error: ${problem}`,
      };
    }
    log.warn('delivery attempt failed, retrying', {
      attempt: attempts,
      error: problem,
      retry_in_ms: delay,
      retry_after: retryAfterMs !== null ? true : undefined,
    });
    await sleep(delay);
  }
}

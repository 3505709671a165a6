// A small fetch wrapper for the two APIs: JSON in and out, HTTP basic credentials,
// a timeout per request, and the server's error message pulled out of either error shape.

import type { Auth } from './auth';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** The API answered with an error, or could not be reached, or took too long. */
export class ApiError extends Error {
  constructor(
    message: string,
    /** HTTP status; undefined when no answer came (connection refused, timeout). */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Worth another try when polling: no answer, or a 5xx/429. */
  get transient(): boolean {
    return this.status === undefined || this.status >= 500 || this.status === 429;
  }
}

/** The request was cancelled by the caller's signal (Ctrl-C). */
export class InterruptedError extends Error {
  constructor() {
    super('interrupted');
    this.name = 'InterruptedError';
  }
}

/**
 * The message in an error body:
 * - inspector API (ironic-inspector): `{"error": {"message": "..."}}`
 * - node API (Ironic): `{"error_message": "{\"faultstring\": \"...\", \"debuginfo\": null}"}`,
 *   a JSON document inside a JSON string (sometimes already an object)
 * - otherwise a `message` field, a short text body, or the status line.
 */
export function extractErrorMessage(status: number, statusText: string, text: string): string {
  const fallback = `HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const trimmed = text.trim();
    if (trimmed && trimmed.length <= 300 && !trimmed.startsWith('<')) return trimmed;
    return fallback;
  }
  if (!body || typeof body !== 'object') return fallback;
  const b = body as Record<string, unknown>;

  const err = b.error;
  if (err && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string') {
    return (err as { message: string }).message;
  }
  if (typeof err === 'string' && err) return err;

  const em = b.error_message;
  if (typeof em === 'string' && em) {
    try {
      const inner = JSON.parse(em) as unknown;
      const fault = faultOf(inner);
      if (fault) return fault;
    } catch {
      // a plain string
    }
    return em;
  }
  const fault = faultOf(em) ?? faultOf(b);
  if (fault) return fault;
  if (typeof b.message === 'string' && b.message) return b.message;
  return fallback;
}

function faultOf(value: unknown): string | undefined {
  if (value && typeof value === 'object') {
    const f = (value as { faultstring?: unknown }).faultstring;
    if (typeof f === 'string' && f) return f;
  }
  return undefined;
}

export interface ClientOptions {
  /** Used in messages: "inspector API". */
  label: string;
  /** How to point the CLI elsewhere, for "cannot reach" messages: "--inspector-url or INTROSPECTOR_URL". */
  hint: string;
  timeoutMs: number;
  fetch?: FetchLike;
  /** Credentials for every request; without it requests go out anonymous. */
  auth?: Auth;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  signal?: AbortSignal;
}

/** `encodeURIComponent` for a path segment (node names, uuids, bulk ids). */
export const seg = (value: string) => encodeURIComponent(value);

export class ApiClient {
  readonly baseUrl: string;
  private readonly fetchImpl: FetchLike;

  constructor(
    baseUrl: string,
    private readonly options: ClientOptions,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  }

  get<T = unknown>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, options);
  }
  post<T = unknown>(path: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('POST', path, { ...options, body });
  }
  put<T = unknown>(path: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('PUT', path, { ...options, body });
  }
  delete<T = unknown>(path: string, options?: RequestOptions) {
    return this.request<T>('DELETE', path, options);
  }

  url(path: string, query?: RequestOptions['query']): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) params.set(key, String(value));
    }
    const qs = params.toString();
    return `${this.baseUrl}${path}${qs ? `?${qs}` : ''}`;
  }

  /** The parsed JSON answer, or undefined for an empty body (202/204). Throws ApiError or InterruptedError. */
  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const url = this.url(path, options.query);
    const auth = this.options.auth;
    let authorization = auth?.header();
    let { response, text } = await this.send(method, url, options, authorization);
    if (response.status === 401 && auth && (await auth.renew(authorization, `${this.options.label} at ${this.baseUrl}`))) {
      authorization = auth.header();
      ({ response, text } = await this.send(method, url, options, authorization));
    }

    if (!response.ok) {
      const message = extractErrorMessage(response.status, response.statusText, text);
      if (response.status === 401 && auth) throw new ApiError(auth.unauthorized(this.options.label), 401);
      if (response.status === 403 && auth) throw new ApiError(auth.forbidden(this.options.label, `${method} ${path}`, message), 403);
      throw new ApiError(message, response.status);
    }
    if (text.trim() === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(`${this.options.label} sent a response that is not JSON for ${method} ${url}`, response.status);
    }
  }

  /** One HTTP exchange with its own timeout (a prompt for credentials may come between two). */
  private async send(
    method: string,
    url: string,
    options: RequestOptions,
    authorization: string | undefined,
  ): Promise<{ response: Response; text: string }> {
    if (options.signal?.aborted) throw new InterruptedError();
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'introspector-cli' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (authorization) headers.authorization = authorization;
    try {
      const response = await this.fetchImpl(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal,
      });
      return { response, text: await response.text() };
    } catch (err) {
      if (options.signal?.aborted) throw new InterruptedError();
      if (timeout.aborted) {
        throw new ApiError(`${this.options.label} did not answer ${method} ${url} within ${this.options.timeoutMs / 1000}s`);
      }
      throw new ApiError(`cannot reach the ${this.options.label} at ${this.baseUrl}: ${causeOf(err)} (set ${this.options.hint})`);
    }
  }
}

/** "connect ECONNREFUSED 127.0.0.1:5050" rather than undici's "fetch failed". */
function causeOf(err: unknown): string {
  // Duck-typed: errors from undici may come from another realm (test runners).
  let e = err as { cause?: unknown; errors?: unknown[]; message?: unknown } | undefined;
  for (let depth = 0; depth < 4 && e?.cause; depth++) e = e.cause as typeof e;
  if (Array.isArray(e?.errors) && e.errors.length > 0) e = e.errors[0] as typeof e;
  return typeof e?.message === 'string' && e.message ? e.message : String(e);
}

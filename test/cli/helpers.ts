// Test support for the CLI: a real HTTP server on 127.0.0.1 that plays the APIs (HTTP basic
// authentication included), and captured streams with a virtual clock so that polling takes
// no real time.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { CliIO } from '../../cli/main';
import { main } from '../../cli/main';

export interface ApiRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  headers: http.IncomingHttpHeaders;
}

export interface Reply {
  status?: number;
  body?: unknown;
  /** Never answer (timeouts). */
  hang?: boolean;
}

export type Handler = (req: ApiRequest, n: number) => Reply | undefined | Promise<Reply | undefined>;

export interface User {
  username: string;
  password: string;
  role: 'admin' | 'reader';
}

/** The user every test acts as, unless it says otherwise (a colon and a space, to test the encoding). */
export const ADMIN: User = { username: 'admin', password: 'pass: w0rd', role: 'admin' };
export const READER: User = { username: 'viewer', password: 'look-only', role: 'reader' };

/** The environment that gives the CLI the credentials of ADMIN. */
export const ADMIN_ENV = { INTROSPECTOR_USERNAME: ADMIN.username, INTROSPECTOR_PASSWORD: ADMIN.password };

/** A data dir without an admin-password file, so that tests never read the one of a local `npm start`. */
export const NO_DATA_DIR = path.join(os.tmpdir(), `introspector-cli-test-no-data-${process.pid}`);

function userOf(header: string | undefined, users: User[]): User | undefined {
  const match = header?.match(/^Basic ([A-Za-z0-9+/=]+)$/);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return users.find((u) => u.username === decoded.slice(0, colon) && u.password === decoded.slice(colon + 1));
}

export interface FakeApi {
  url: string;
  requests: ApiRequest[];
  /** Requests matching "METHOD /path". */
  calls(route: string): ApiRequest[];
  close(): Promise<void>;
}

/**
 * Routes are "METHOD /path" with `:param` segments, e.g. "GET /v1/nodes/:node".
 * A handler gets the request and how many times its route was called before (0-based).
 * Unknown routes answer 404 in the inspector error shape. As the real APIs: no valid
 * credentials of one of `users` (default ADMIN and READER) is 401, a reader's write 403;
 * refused requests are recorded too.
 */
export async function fakeApi(routes: Record<string, Handler>, users: User[] = [ADMIN, READER]): Promise<FakeApi> {
  const requests: ApiRequest[] = [];
  const counts = new Map<string, number>();
  const compiled = Object.entries(routes).map(([key, handler]) => {
    const [method, pattern] = key.split(' ');
    const re = new RegExp('^' + pattern.replace(/:[a-z_]+/gi, '[^/]+') + '$');
    return { key, method, re, handler };
  });
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const text = Buffer.concat(chunks).toString();
      const request: ApiRequest = {
        method: req.method ?? '',
        path: decodeURIComponent(url.pathname),
        query: Object.fromEntries(url.searchParams),
        body: text ? JSON.parse(text) : undefined,
        headers: req.headers,
      };
      requests.push(request);
      const route = compiled.find((r) => r.method === request.method && r.re.test(url.pathname));
      const user = userOf(req.headers.authorization, users);
      let reply: Reply | undefined;
      if (!user) {
        res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="introspector"' });
        res.end(JSON.stringify({ error: { message: 'authentication required' } }));
        return;
      } else if (user.role === 'reader' && request.method !== 'GET') {
        reply = inspectorError(403, `${request.method} needs the admin role`);
      } else if (route) {
        const n = counts.get(route.key) ?? 0;
        counts.set(route.key, n + 1);
        reply = await route.handler(request, n);
      } else {
        reply = { status: 404, body: { error: { message: `no route ${request.method} ${request.path}` } } };
      }
      reply ??= { status: 200 };
      if (reply.hang) return;
      const body = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      res.writeHead(reply.status ?? 200, body ? { 'content-type': 'application/json' } : {});
      res.end(body);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    calls: (route) => {
      const [method, path] = route.split(' ');
      return requests.filter((r) => r.method === method && r.path === path);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The inspector API's error body. */
export const inspectorError = (status: number, message: string): Reply => ({ status, body: { error: { message } } });

/** The node API's (Ironic's) error body: JSON inside a JSON string. */
export const ironicError = (status: number, message: string): Reply => ({
  status,
  body: { error_message: JSON.stringify({ faultstring: message, debuginfo: null }) },
});

export class Capture {
  text = '';
  isTTY: boolean;
  columns: number | undefined;
  constructor(tty = false, columns?: number) {
    this.isTTY = tty;
    this.columns = columns;
  }
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

export const T0 = Date.parse('2025-03-01T10:00:00.000Z');

export interface Harness {
  io: Partial<CliIO>;
  stdout: Capture;
  stderr: Capture;
  /** Virtual time, advanced by sleeps. */
  clock: { now: number };
  /** Sleeps requested, in ms. */
  sleeps: number[];
  /** Presses Ctrl-C (when the CLI listens). */
  interrupt(): void;
  /** Ctrl-C listeners currently installed. */
  listeners(): number;
  run(...args: string[]): Promise<number>;
}

export interface HarnessOptions {
  tty?: boolean;
  columns?: number;
  /** Added to (or, with undefined values, taken from) ADMIN_ENV and INTROSPECTOR_DATA_DIR=NO_DATA_DIR. */
  env?: Record<string, string | undefined>;
  /** Answers the credentials prompt (stdin is then a terminal); records its questions. */
  prompt?: (question: string, echo: boolean) => Promise<string>;
  /** Called at each sleep with the number of sleeps so far (1-based). */
  onSleep?: (n: number, h: Harness) => void;
  /** Default args put before the command: the URLs of the fake APIs. */
  api?: FakeApi;
  nodeApi?: FakeApi;
}

export function harness(opts: HarnessOptions = {}): Harness {
  const stdout = new Capture(opts.tty, opts.columns);
  const stderr = new Capture(opts.tty, opts.columns);
  const clock = { now: T0 };
  const sleeps: number[] = [];
  const handlers = new Set<() => void>();
  const h: Harness = {
    stdout,
    stderr,
    clock,
    sleeps,
    interrupt: () => [...handlers].forEach((fn) => fn()),
    listeners: () => handlers.size,
    io: {
      stdout,
      stderr,
      stdin: { isTTY: opts.prompt !== undefined },
      prompt: opts.prompt ?? (() => Promise.reject(new Error('no terminal'))),
      env: { INTROSPECTOR_DATA_DIR: NO_DATA_DIR, ...ADMIN_ENV, ...opts.env },
      now: () => clock.now,
      sleep: async (ms, signal) => {
        sleeps.push(ms);
        opts.onSleep?.(sleeps.length, h);
        if (!signal?.aborted) clock.now += ms;
        await new Promise((resolve) => setImmediate(resolve));
      },
      onInterrupt: (fn) => {
        handlers.add(fn);
        return () => handlers.delete(fn);
      },
    },
    run: (...args) => {
      const urls: string[] = [];
      if (opts.api) urls.push('--inspector-url', opts.api.url);
      if (opts.nodeApi ?? opts.api) urls.push('--node-url', (opts.nodeApi ?? opts.api)!.url);
      return main([...urls, ...args], h.io);
    },
  };
  return h;
}

/** Removes ANSI escapes. */
export const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

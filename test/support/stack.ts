import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../common/config';
import { startStack as startBaseStack, type Stack as BaseStack } from '../../scripts/stack';
import { basicAuthorization } from '../../cli/credentials';

/** The test stacks' admin (INTROSPECTOR_ADMIN_PASSWORD), which `http` sends unless told otherwise. */
export const ADMIN = { user: 'admin', password: 'test-admin-password' };

export interface Stack extends BaseStack {
  dataDir: string;
  /** The environment the configuration was loaded from: what a separate worker process needs. */
  env: Record<string, string | undefined>;
}

/**
 * The whole system on ports of its own, headless, with its data in a fresh temp dir; the
 * workers run in this process unless `workers: false` (a test then runs its own). A
 * TEMPORAL_ADDRESS in env is a running server's: no dev server is started.
 */
export async function startStack(basePort: number, env: Record<string, string> = {}, options: { workers?: boolean } = {}): Promise<Stack> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'introspector-test-'));
  const configEnv = {
    INTROSPECTOR_DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: `127.0.0.1:${basePort}`,
    S3_ENDPOINT: `http://127.0.0.1:${basePort + 10}`,
    TEMPORAL_TASK_QUEUE: `test-${basePort}`,
    INSPECTOR_PORT: '0',
    NODE_API_PORT: '0',
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    INTROSPECTOR_ADMIN_PASSWORD: ADMIN.password,
    ...env,
  };
  const config = loadConfig(configEnv);
  return { ...(await startBaseStack(config, { uiPort: 0, quiet: true, workers: options.workers, temporal: env.TEMPORAL_ADDRESS === undefined })), dataDir, env: configEnv };
}

export interface HttpOptions {
  /** Credentials to send; null sends none. Default: the test admin. */
  auth?: { user: string; password: string } | null;
  headers?: Record<string, string>;
}

/** JSON over HTTP as the test admin: status and parsed body (and headers). */
export async function http(method: string, url: string, body?: unknown, options: HttpOptions = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const auth = options.auth === undefined ? ADMIN : options.auth;
  const headers: Record<string, string> = {
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(auth ? { authorization: basicAuthorization({ username: auth.user, password: auth.password }) } : {}),
    ...options.headers,
  };
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A node's introspection status (GET /v1/introspection/<node>) once its run has ended. */
export function introspectionEnded(stack: Pick<BaseStack, 'inspectorUrl'>, node: string, timeoutMs: number, intervalMs = 250): Promise<any> {
  return waitFor(
    `the introspection of ${node} to end`,
    async () => {
      const { body } = await http('GET', `${stack.inspectorUrl}/v1/introspection/${node}`);
      return body.finished ? body : undefined;
    },
    timeoutMs,
    intervalMs,
  );
}

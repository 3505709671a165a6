import type { AddressInfo } from 'node:net';
import express from 'express';
import { errorHandler } from '../../api/errors';
import { nodeRoutes, type NodeRoutesOptions } from '../../api/node-routes';
import type { NodeRegistry } from '../../nodes';

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

export interface NodeApi {
  url: string;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  close(): Promise<void>;
}

/**
 * The node API alone (routes + Ironic error bodies) on a free port, as api/server.ts mounts it.
 * `manage` passes at once, as the verification workflow would for a BMC that answers (the tests
 * of that workflow run on the real stack).
 */
export async function startNodeApi(registry: NodeRegistry, options: NodeRoutesOptions = {}): Promise<NodeApi> {
  const app = express();
  const startVerification = async (uuid: string) => {
    await registry.finishProvision(uuid, 'verifying', { error: null, power_state: 'power off' });
  };
  app.use(nodeRoutes(registry, { startVerification, ...options }));
  app.use(errorHandler('ironic'));
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async call(method, path, body, headers = {}) {
      const raw = typeof body === 'string' ? body : body === undefined ? undefined : JSON.stringify(body);
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { ...(raw !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: raw,
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, headers: res.headers, body: parsed };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The faultstring of an Ironic error body. */
export function faultOf(answer: Answer): string {
  return JSON.parse(answer.body.error_message).faultstring;
}

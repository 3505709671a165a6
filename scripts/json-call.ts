import { authHeaders, type Credentials } from '../cli/credentials';

/**
 * JSON over HTTP for the scripts and benchmarks that drive a stack they started: as `credentials`
 * unless other headers are given; the parsed answer (undefined when empty), or an Error naming
 * the call and what the API said.
 */
export function jsonCaller(credentials: Pick<Credentials, 'username' | 'password'>) {
  const asUser = authHeaders(credentials);
  return async (method: string, url: string, body?: unknown, headers: Record<string, string> = asUser): Promise<any> => {
    const res = await fetch(url, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
}

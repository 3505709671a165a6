// Tells the inspector that the agent is up, before it collects (POST <callback URL>/started, with
// the run's token): a run whose data never comes can then say that the ramdisk booted and its
// agent ran. One try with a short timeout, never fatal: an inspector that is unreachable or has
// no such route only misses the report.

import { splitCredentials } from './deliver';
import { type Logger, errorMessage, redactUrl, silentLogger } from './log';

export interface StartedOptions {
  timeoutMs?: number;
  fetch?: typeof fetch;
  log?: Logger;
}

/** Next to the callback: http://host:5050/v1/continue → http://host:5050/v1/continue/started. */
export function startedUrl(callbackUrl: string): string {
  const url = new URL(callbackUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/started`;
  return url.toString();
}

export async function reportStarted(callbackUrl: string, agentToken: string, options: StartedOptions = {}): Promise<void> {
  const log = options.log ?? silentLogger;
  const target = startedUrl(callbackUrl);
  const { url, authorization } = splitCredentials(target);
  const headers: Record<string, string> = { accept: 'application/json', 'x-agent-token': agentToken };
  if (authorization) headers.authorization = authorization;
  try {
    const response = await (options.fetch ?? fetch)(url, { method: 'POST', headers, signal: AbortSignal.timeout(options.timeoutMs ?? 5000) });
    await response.text();
    if (response.ok) log.info('reported started', { url: redactUrl(target) });
    else log.warn('the start report was not taken; going on', { url: redactUrl(target), status: response.status });
  } catch (error) {
    log.warn('could not report the start; going on', { url: redactUrl(target), error: errorMessage(error) });
  }
}

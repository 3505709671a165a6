import fs from 'node:fs';
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import type { Config } from './config';

/** What the client's Connection and the worker's NativeConnection both take. */
export interface TemporalConnectionOptions {
  address: string;
  tls: TLSConfig | false;
  apiKey?: string;
}

function readSetting(config: Config, name: 'TEMPORAL_TLS_CA_FILE' | 'TEMPORAL_TLS_CERT_FILE' | 'TEMPORAL_TLS_KEY_FILE' | 'TEMPORAL_API_KEY_FILE'): Buffer | undefined {
  const file = config[name];
  if (file === undefined) return undefined;
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new Error(`${name}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

function apiKey(config: Config): string | undefined {
  const key = readSetting(config, 'TEMPORAL_API_KEY_FILE')?.toString('utf8').trim();
  if (key === '') throw new Error(`TEMPORAL_API_KEY_FILE: ${config.TEMPORAL_API_KEY_FILE} is empty`);
  if (key !== undefined && /\s/.test(key)) throw new Error(`TEMPORAL_API_KEY_FILE: ${config.TEMPORAL_API_KEY_FILE} holds more than one word`);
  return key;
}

/** The Temporal address, TLS files and API key of the settings, with the files read. */
export function temporalConnectionOptions(config: Config): TemporalConnectionOptions {
  const key = apiKey(config);
  const ca = readSetting(config, 'TEMPORAL_TLS_CA_FILE');
  const crt = readSetting(config, 'TEMPORAL_TLS_CERT_FILE');
  const tlsKey = readSetting(config, 'TEMPORAL_TLS_KEY_FILE');
  const tlsOn = config.TEMPORAL_TLS ?? Boolean(ca || crt || config.TEMPORAL_TLS_SERVER_NAME || key);
  const tls: TLSConfig = {
    ...(ca && { serverRootCACertificate: ca }),
    ...(crt && tlsKey && { clientCertPair: { crt, key: tlsKey } }),
    ...(config.TEMPORAL_TLS_SERVER_NAME && { serverNameOverride: config.TEMPORAL_TLS_SERVER_NAME }),
  };
  return { address: config.TEMPORAL_ADDRESS, tls: tlsOn && tls, ...(key && { apiKey: key }) };
}

/** A connection whose API key can be replaced while it is in use (the client's Connection, the worker's NativeConnection). */
export interface ApiKeyHolder {
  setApiKey(key: string): unknown;
}

/**
 * Keeps connections' API key that of TEMPORAL_API_KEY_FILE as the file is rotated (keys expire):
 * the file is read every `intervalMs`; a file that cannot be read or holds no valid key keeps
 * the key in use, and `warn` says why, once (never the key). Returns what stops following.
 */
export function followApiKey(config: Config, connections: ApiKeyHolder[], warn: (message: string) => void, intervalMs = 5000): () => void {
  const file = config.TEMPORAL_API_KEY_FILE;
  if (file === undefined) return () => undefined;
  let current = apiKey(config);
  let problem: string | undefined;
  const check = () => {
    let key: string | undefined;
    try {
      key = apiKey(config);
    } catch (err) {
      // Said once, not at every read until the file is put right.
      if ((err as Error).message !== problem) warn(`${(err as Error).message}: the API key in use is kept`);
      problem = (err as Error).message;
      return;
    }
    problem = undefined;
    if (key === undefined || key === current) return;
    current = key;
    for (const connection of connections) {
      Promise.resolve()
        .then(() => connection.setApiKey(key))
        .catch((err: unknown) => warn(`TEMPORAL_API_KEY_FILE: the connection refused the new key (${(err as Error).message}); the key in use is kept`));
    }
  };
  // Read, not watched: a few bytes every few seconds, and no change can slip between a read and a watch's start.
  const timer = setInterval(check, intervalMs).unref();
  return () => clearInterval(timer);
}

/** A client over a connection of its own (its connection typed as what it is, so its API key can be replaced). */
export type ConnectedClient = Client & { readonly connection: Connection };

export async function connectClient(config: Config): Promise<ConnectedClient> {
  const connection = await Connection.connect(temporalConnectionOptions(config));
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }) as ConnectedClient;
}

/**
 * A connection for readiness probes only: without the client's retries (which go on past any
 * probe's timeout, and past the connection's close), so that a probe's call ends at its deadline.
 */
export function probeConnection(config: Config): Connection {
  return Connection.lazy({ ...temporalConnectionOptions(config), interceptors: [] });
}

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

export async function connectClient(config: Config): Promise<Client> {
  const connection = await Connection.connect(temporalConnectionOptions(config));
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
}

/**
 * A connection for readiness probes only: without the client's retries (which go on past any
 * probe's timeout, and past the connection's close), so that a probe's call ends at its deadline.
 */
export function probeConnection(config: Config): Connection {
  return Connection.lazy({ ...temporalConnectionOptions(config), interceptors: [] });
}

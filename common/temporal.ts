import { Client, Connection } from '@temporalio/client';
import type { Config } from './config';

const connectionOptions = (config: Config) => ({ address: config.TEMPORAL_ADDRESS });

export async function connectClient(config: Config): Promise<Client> {
  const connection = await Connection.connect(connectionOptions(config));
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
}

/**
 * A connection for readiness probes only: without the client's retries (which go on past any
 * probe's timeout, and past the connection's close), so that a probe's call ends at its deadline.
 */
export function probeConnection(config: Config): Connection {
  return Connection.lazy({ ...connectionOptions(config), interceptors: [] });
}

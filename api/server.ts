import type { Server } from 'node:http';
import express from 'express';
import { databaseUrl, type Config } from '../common/config';
import { objectStoreFor } from '../common/services';
import { connectClient } from '../common/temporal';
import { findTool } from '../common/tools';
import { openRegistry } from '../nodes';
import { Bulks } from './bulks';
import { errorHandler } from './errors';
import { inspectorRoutes } from './inspector-routes';
import { Introspections } from './introspections';
import { nodeRoutes } from './node-routes';

export interface RunningApi {
  inspectorPort: number;
  nodePort: number;
  close(): Promise<void>;
}

function listen(app: express.Express, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(server)));
  });
}

const portOf = (server: Server) => (server.address() as { port: number }).port;

/** Starts the inspector API and the node API; ports 0 pick free ones. */
export async function startApi(config: Config): Promise<RunningApi> {
  const registry = await openRegistry(databaseUrl(config));
  const store = objectStoreFor(config);
  await store.ensureBucket();
  const client = await connectClient(config);
  const introspections = new Introspections(client, registry, store, config);

  const inspector = express();
  inspector.use(inspectorRoutes(config, introspections, new Bulks(client, config), registry));
  inspector.use(errorHandler('inspector'));
  const nodes = express();
  nodes.use(
    nodeRoutes(registry, {
      bmc: { ipmitoolPath: findTool('ipmitool', config.INTROSPECTOR_TOOLS_DIR), defaultCipherSuite: config.IPMI_CIPHER_SUITE },
      startInspection: async (uuid) => {
        await introspections.start(uuid);
      },
    }),
  );
  nodes.use(errorHandler('ironic'));

  const servers = [await listen(inspector, config.API_HOST, config.INSPECTOR_PORT), await listen(nodes, config.API_HOST, config.NODE_API_PORT)];
  return {
    inspectorPort: portOf(servers[0]),
    nodePort: portOf(servers[1]),
    async close() {
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
      await client.connection.close();
      store.destroy();
      await registry.close();
    },
  };
}

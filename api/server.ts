import type { Server } from 'node:http';
import express from 'express';
import { adminPasswordFile, apiHost, databaseUrl, htpasswdFile, type Config } from '../common/config';
import { objectStoreFor } from '../common/services';
import { ensureSearchAttributes, SearchAttributesRefusedError } from '../common/search-attributes';
import { connectClient, followApiKey, probeConnection } from '../common/temporal';
import { openRegistry } from '../nodes';
import { ensureAdminUser } from './auth/htpasswd';
import { Authenticator, refuseBrowserWrites } from './auth/middleware';
import { BootPhaseReports } from './boot-phases';
import { acceptanceReportRoutes } from './acceptance-report';
import { Bulks } from './bulks';
import { Callbacks } from './callbacks';
import { errorHandler } from './errors';
import { fleetRoutes } from './fleet-routes';
import { log } from '../common/log';
import { DependencyMonitor, healthRoutes, requireDependencies } from './health';
import { requestLog } from './request-log';
import { readVisibilityWith } from '../common/metrics';
import { metricsRoute, readVisibilityFrom, requestMetrics } from './metrics';
import { openApiRoute } from './openapi';
import { callbackRoutes, inspectorRoutes, inspectorVersions } from './inspector-routes';
import { Introspections } from './introspections';
import { ironicInspectionRoutes } from './ironic-inspection-routes';
import { loadBuiltInRules } from './inspection-rule-routes';
import { nodeRoutes } from './node-routes';
import { nodeManagementRoutes, NodePowerRequests } from './node-management-routes';
import { Verifications } from './verifications';

export interface RunningApi {
  inspectorPort: number;
  nodePort: number;
  /** Where agents call back and fetch boot scripts: the callback listener's port, else the inspector port. */
  callbackPort: number;
  close(): Promise<void>;
}

function listen(app: express.Express, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(server)));
  });
}

const portOf = (server: Server) => (server.address() as { port: number }).port;

/**
 * Starts the inspector API and the node API, authenticated; the agent's callback and boot
 * scripts are anonymous, on the inspector API or, with CALLBACK_PORT, on a listener of their own.
 * Ports 0 pick free ones.
 */
export async function startApi(config: Config): Promise<RunningApi> {
  if (config.AUTH_STRATEGY === 'http_basic' && ensureAdminUser(htpasswdFile(config), adminPasswordFile(config), config.INTROSPECTOR_ADMIN_PASSWORD)) {
    log().info(`created the user admin; its password is in ${adminPasswordFile(config)}`);
  }
  const auth = new Authenticator(config);
  const registry = await openRegistry(databaseUrl(config));
  const store = objectStoreFor(config);
  await store.ensureBucket();
  const client = await connectClient(config);
  // An API whose key may only start runs leaves the search attributes to the workers' admin key.
  await ensureSearchAttributes(client.connection, config.TEMPORAL_NAMESPACE).catch((err) => {
    if (!(err instanceof SearchAttributesRefusedError)) throw err;
    log().warn(`${err.message}; runs cannot start before a worker with such a key has added them`);
  });
  const introspections = new Introspections(client, registry, store, config);
  const verifications = new Verifications(client, registry, config);
  await verifications.reconcile().catch((err) => log().error({ err }, 'putting right nodes left verifying or inspecting failed'));
  const temporalProbe = probeConnection(config);
  const stopFollowingKey = followApiKey(config, [client.connection, temporalProbe], (message) => log().warn(message));
  const monitor = new DependencyMonitor([
    { name: 'temporal', probe: (ms) => temporalProbe.withDeadline(Date.now() + ms, () => temporalProbe.workflowService.getSystemInfo({})) },
    { name: 's3', probe: (ms) => store.ping(ms) },
    { name: 'registry', probe: () => registry.ping() },
  ]);
  monitor.start();
  readVisibilityFrom(client, registry);
  const callbacks = callbackRoutes(config, new Callbacks(client, registry, store, config), registry, new BootPhaseReports(client, registry));
  const separateCallback = config.CALLBACK_PORT !== undefined;

  const inspector = express();
  inspector.use(requestLog(log(), 'inspector'), requestMetrics('inspector'));
  inspector.use(healthRoutes(monitor), openApiRoute('inspector'));
  inspector.use(refuseBrowserWrites);
  inspector.use(inspectorVersions());
  // The boot scripts and ramdisk files stay served: a booting server cannot wait.
  inspector.use('/v1', requireDependencies(monitor, ['temporal', 's3', 'registry']));
  if (!separateCallback) inspector.use(callbacks);
  inspector.use(auth.middleware());
  inspector.use(metricsRoute(config.WORKER_METRICS_URL));
  inspector.use(inspectorRoutes(introspections, new Bulks(client, registry, config), registry));
  inspector.use(acceptanceReportRoutes(registry));
  inspector.use(fleetRoutes(registry));
  inspector.use(errorHandler('inspector', monitor));

  const nodes = express();
  nodes.use(requestLog(log(), 'ironic'), requestMetrics('ironic'));
  nodes.use(healthRoutes(monitor), openApiRoute('ironic'));
  nodes.use(metricsRoute(config.WORKER_METRICS_URL, auth.middleware()));
  nodes.use(refuseBrowserWrites);
  nodes.use(requireDependencies(monitor, ['registry']));
  await loadBuiltInRules(registry, config.INSPECTION_RULES_FILE);
  nodes.use(ironicInspectionRoutes({ registry, introspections, callbacks: new Callbacks(client, registry, store, config), continueBodyLimit: config.CONTINUE_BODY_LIMIT, guard: auth.middleware() }));
  nodes.use(nodeManagementRoutes(registry, new NodePowerRequests(client, registry, config), auth.middleware()));
  nodes.use(
    nodeRoutes(registry, {
      guard: auth.middleware(),
      store,
      startVerification: (uuid) => verifications.start(uuid),
      startInspection: async (uuid) => {
        await introspections.start(uuid);
      },
    }),
  );
  nodes.use(errorHandler('ironic', monitor));

  const host = apiHost(config);
  const servers = [await listen(inspector, host, config.INSPECTOR_PORT), await listen(nodes, host, config.NODE_API_PORT)];
  if (separateCallback) {
    const callback = express();
    callback.use(requestLog(log(), 'inspector'), requestMetrics('inspector'));
    callback.use(refuseBrowserWrites);
    callback.use(inspectorVersions());
    callback.use('/v1', requireDependencies(monitor, ['temporal', 's3', 'registry']));
    callback.use(callbacks);
    callback.use(errorHandler('inspector', monitor));
    servers.push(await listen(callback, config.CALLBACK_HOST ?? host, config.CALLBACK_PORT!));
  }
  return {
    inspectorPort: portOf(servers[0]),
    nodePort: portOf(servers[1]),
    callbackPort: portOf(servers[2] ?? servers[0]),
    async close() {
      stopFollowingKey();
      await monitor.stop();
      await temporalProbe.close();
      readVisibilityWith(undefined);
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
      await client.connection.close();
      store.destroy();
      await registry.close();
    },
  };
}

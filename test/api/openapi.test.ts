import type { Router } from 'express';
import type { DependencyMonitor } from '../../api/health';
import { healthRoutes } from '../../api/health';
import { acceptanceReportRoutes } from '../../api/acceptance-report';
import { fleetRoutes } from '../../api/fleet-routes';
import { callbackRoutes, inspectorRoutes, inspectorVersions } from '../../api/inspector-routes';
import { ironicInspectionRoutes } from '../../api/ironic-inspection-routes';
import { metricsRoute } from '../../api/metrics';
import { nodeManagementRoutes } from '../../api/node-management-routes';
import { nodeRoutes } from '../../api/node-routes';
import { INSPECTOR_OPERATIONS, NODE_OPERATIONS, openApiDocument, openApiRoute, type Operation } from '../../api/openapi';
import { loadConfig } from '../../common/config';

// The API description stays true: every route the APIs register is described (and nothing
// else), every example validates with the schema the route checks, and path parameters are
// declared. Routers are built with stand-in services: only their routes are read.

const none = {} as never;

type Layer = { route?: { path: string | string[]; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };

function routesOf(routers: Router[]): string[] {
  const found: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const method of Object.keys(layer.route.methods)) for (const p of paths) found.push(`${method.toUpperCase()} ${p}`);
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk(routers.flatMap((r) => (r as unknown as { stack: Layer[] }).stack));
  return [...new Set(found)].sort();
}

const described = (ops: Operation[]) => ops.map((o) => `${o.method.toUpperCase()} ${o.path}`).sort();

const config = loadConfig({});
const common = [healthRoutes(none as DependencyMonitor), metricsRoute(undefined)];

test('every route of the inspector API (and the agent callback) is described, and nothing else', () => {
  const routers = [inspectorVersions(), ...common, callbackRoutes(config, none, none, none), inspectorRoutes(none, none, none), acceptanceReportRoutes(none), fleetRoutes(none), openApiRoute('inspector')];
  expect(described(INSPECTOR_OPERATIONS)).toEqual(routesOf(routers).filter((r) => r !== 'GET /openapi.json'));
});

test('every route of the node API is described, and nothing else', () => {
  const routers = [...common, ironicInspectionRoutes(none), nodeManagementRoutes(none, none, (_req, _res, next) => next()), nodeRoutes(none), openApiRoute('ironic')];
  expect(described(NODE_OPERATIONS)).toEqual(routesOf(routers).filter((r) => r !== 'GET /openapi.json'));
});

test.each([...INSPECTOR_OPERATIONS, ...NODE_OPERATIONS].filter((o) => o.body).map((o) => [`${o.method} ${o.path}`, o] as const))(
  'the example of %s validates with the schema the route checks',
  (_name, o) => {
    expect(o.example).toBeDefined();
    const parsed = o.body!.safeParse(o.example);
    expect(parsed.error?.issues ?? []).toEqual([]);
  },
);

test.each(['inspector', 'ironic'] as const)('the %s document is OpenAPI 3.1 with every path parameter declared and JSON Schemas for bodies', (api) => {
  const doc = openApiDocument(api);
  expect(doc.openapi).toBe('3.1.0');
  for (const [path, methods] of Object.entries(doc.paths)) {
    const names = [...path.matchAll(/\{([A-Za-z_]+)\}/g)].map((m) => m[1]);
    for (const operation of Object.values(methods) as { parameters: { name: string; in: string }[]; requestBody?: { content: Record<string, { schema: { type?: string } }> } }[]) {
      expect(operation.parameters.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(names);
      if (operation.requestBody) expect(operation.requestBody.content['application/json'].schema.type).toMatch(/^(object|array)$/);
    }
  }
});

import { Router } from 'express';
import { z } from 'zod';
import { RuleSchema } from '../activities/rules/schema';
import { InspectionRuleSchema } from '../activities/rules/ironic-schema';
import { InspectionRuleListQuerySchema, InspectionRuleShowQuerySchema } from './inspection-rule-routes';
import { IntrospectionDataSchema } from '../common/inventory';
import { JsonPatchSchema } from '../nodes/json-patch';
import { ProvisionRequestSchema } from '../nodes/provision-states';
import { MaintenanceRequestSchema, NodeCreateSchema, PortCreateSchema } from '../nodes/schema';
import { BulkRequestSchema } from './bulks';
import { TOKEN_HEADER } from './callbacks';
import { BulkListQuerySchema, BulkStatusQuerySchema, DiffQuerySchema, HistoryQuerySchema, ListQuerySchema, StartQuerySchema } from './inspector-routes';
import { NodeListQuerySchema, NodePortsQuerySchema, PortListQuerySchema, ShowQuerySchema, TraitsBodySchema } from './node-routes';
import { BootDeviceRequestSchema, PowerRequestSchema } from './node-management-routes';
import { FleetQuerySchema } from './fleet-routes';

// The OpenAPI 3.1 description of both APIs (GET /openapi.json on each), made from the zod
// schemas the routes validate with: one table of operations naming them, no second copy of
// the types. test/api/openapi.test.ts checks that every route is here and every example passes.

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
/** Who may call: nobody in particular, any user, an admin, or the ramdisk's agent (its run token). */
type Access = 'anonymous' | 'reader' | 'admin' | 'agent';

export interface Operation {
  method: Method;
  /** Express-style: /v1/introspection/:node. */
  path: string;
  summary: string;
  access: Access;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** A request body that the body schema accepts. */
  example?: unknown;
  /** Status → what it means (errors: { error: { message } } or Ironic's error_message). */
  responses: Record<string, string>;
}

const ok = (what: string) => ({ '200': what });
const accepted = (what: string) => ({ '202': what });
const op = (method: Method, path: string, access: Access, summary: string, responses: Record<string, string>, extra: Partial<Operation> = {}): Operation => ({
  method,
  path,
  access,
  summary,
  responses,
  ...extra,
});

/** What both APIs answer: their version documents, health and metrics. */
const everyApi = [
  op('get', '/', 'anonymous', 'API versions', ok('the versions document')),
  op('get', '/v1', 'anonymous', 'Version 1 and its resources', ok('the v1 document')),
  op('get', '/healthz', 'anonymous', 'The process is alive', ok('alive')),
  op('get', '/readyz', 'anonymous', 'Temporal, S3 and the registry answer', { '200': 'ready', '503': 'not ready: which dependency is missing' }),
  op('get', '/metrics', 'reader', 'Prometheus metrics of the API and its worker', ok('text/plain; version=0.0.4')),
];

const AGENT_DATA_EXAMPLE = {
  inventory: {
    interfaces: [{ name: 'eth0', mac_address: '52:54:00:12:34:56', ipv4_address: '10.20.0.101', has_carrier: true }],
    cpu: { count: 16, architecture: 'x86_64', model_name: 'Intel(R) Xeon(R) Gold 6230' },
    memory: { total: 68719476736, physical_mb: 65536 },
    disks: [{ name: '/dev/sda', size: 480103981056, serial: 'S4EVNX0R123456', rotational: false }],
    bmc_address: '192.0.2.10',
    system_vendor: { manufacturer: 'Dell Inc.', product_name: 'PowerEdge R640', serial_number: 'ABC1234' },
  },
  boot_interface: '01-52-54-00-12-34-56',
};

export const INSPECTOR_OPERATIONS: Operation[] = [
  ...everyApi,
  op('get', '/boot.ipxe', 'anonymous', 'iPXE entry script: chains to the script for the booting MAC', ok('an iPXE script')),
  op('get', '/boot/:script', 'anonymous', "A MAC's iPXE script (52-54-00-12-34-56.ipxe): the ramdisk with its run's settings, or boot from disk", ok('an iPXE script')),
  op('get', '/ramdisk/vmlinuz', 'anonymous', "The ramdisk's kernel", ok('the kernel')),
  op('get', '/ramdisk/initramfs', 'anonymous', 'The ramdisk', ok('the initramfs')),
  op('get', '/ramdisk/:mac/vmlinuz', 'anonymous', "The ramdisk's kernel, fetched by the server with this MAC (recorded as its boot phase)", ok('the kernel')),
  op('get', '/ramdisk/:mac/initramfs', 'anonymous', 'The ramdisk, fetched by the server with this MAC (recorded as its boot phase)', ok('the initramfs')),
  op('post', '/v1/continue', 'agent', "The agent's data: stored and handed to the node's waiting run", { '200': '{ uuid }', '403': 'wrong run token', '404': 'no run waiting for this server', '409': 'not waiting (yet, or any more)' }, {
    body: IntrospectionDataSchema,
    example: AGENT_DATA_EXAMPLE,
  }),
  op('post', '/v1/continue/started', 'agent', 'The agent is up and about to collect (a boot phase)', accepted('recorded')),
  op('post', '/v1/introspection', 'admin', 'Start a bulk introspection of named (any number, in a body of up to 16 MB) or selected nodes', accepted('{ bulk_id, links }'), {
    body: BulkRequestSchema,
    example: { filters: { rack: 'rack2' }, concurrency: 20, boot_attempts: 2 },
  }),
  op('get', '/v1/introspection/bulk', 'reader', 'Bulk introspections with their counts, newest first', ok('{ bulks }'), { query: BulkListQuerySchema }),
  op('get', '/v1/introspection/bulk/:id', 'reader', "A bulk introspection's counts and a page of its nodes, in selection order", ok('counts and nodes'), {
    query: BulkStatusQuerySchema,
  }),
  op('post', '/v1/introspection/bulk/:id/abort', 'admin', 'Abort a bulk introspection and its nodes', accepted('aborting')),
  op('get', '/v1/introspection/bulk/:id/report', 'reader', "A bulk introspection's acceptance report per rack: conforming, not conforming and why, not checked, failed; miscabled ports", {
    '200': '{ bulk_id, state, racks }',
    '404': 'no such bulk',
  }),
  op('get', '/v1/introspection', 'reader', "Each node's latest introspection, newest first", { '200': '{ introspection }', '404': 'no node for the marker' }, {
    query: ListQuerySchema,
  }),
  op('post', '/v1/introspection/:node', 'admin', 'Introspect a node', { '202': 'started', '409': 'already being introspected, or not in a state that may be' }, {
    query: StartQuerySchema,
  }),
  op('get', '/v1/introspection/:node', 'reader', "A node's introspection status", ok('the status, with its boot phase')),
  op('post', '/v1/introspection/:node/abort', 'admin', "Abort a node's introspection", accepted('aborting')),
  op('get', '/v1/introspection/:node/data', 'reader', 'The processed introspection data', ok('the data')),
  op('get', '/v1/introspection/:node/data/unprocessed', 'reader', 'The data as the agent sent it', ok('the data')),
  op('post', '/v1/introspection/:node/data/unprocessed', 'admin', 'Process the stored data again (reapply); with a JSON object in the body (API 1.15), that data, kept as the raw data', { '202': 'reapplying', '409': 'a run is under way' }),
  op('get', '/v1/introspection/:node/logs', 'admin', "The ramdisk's logs", ok('application/gzip')),
  op('get', '/v1/introspection/:node/history', 'reader', "The node's accepted introspections, newest first (HISTORY_KEEP of them)", { '200': '{ history: [{ id, source, started_at, finished_at, sha256, ... }] }', '404': 'no such node, or no entry for the marker' }, {
    query: HistoryQuerySchema,
  }),
  op('get', '/v1/introspection/:node/history/:id', 'reader', 'The processed data of one introspection of the history (its sha256 is that of this answer)', { '200': 'the data', '400': 'id is not an id', '404': 'no such entry' }),
  op('get', '/v1/introspection/:node/history/:id/unprocessed', 'reader', 'The data the agent (or the BMC) sent for one introspection of the history', { '200': 'the data', '400': 'id is not an id', '404': 'no such entry' }),
  op('get', '/v1/introspection/:node/diff', 'reader', 'The hardware changes between two introspections of the history (default: the one before the latest, and the latest)', { '200': '{ from, to, diff: { changes, unknown } }', '404': 'no entry from or to', '409': 'fewer than two introspections in the history' }, {
    query: DiffQuerySchema,
  }),
  op('get', '/v1/fleet/query', 'reader', "The nodes whose latest processed data an expression holds on (README: Fleet queries), in uuid order", { '200': '{ nodes: [{ uuid, name, fields }], next }', '400': 'the expression does not parse (the message names the position)' }, {
    query: FleetQuerySchema,
  }),
  op('post', '/v1/rules', 'admin', 'Create an introspection rule', { '201': 'the rule' }, {
    body: RuleSchema,
    example: {
      description: 'Large disks get a trait',
      conditions: [{ op: 'ge', field: 'local_gb', value: 1000 }],
      actions: [{ action: 'add-trait', name: 'CUSTOM_LARGE_DISK' }],
    },
  }),
  op('get', '/v1/rules', 'reader', 'Introspection rules', ok('{ rules }')),
  op('delete', '/v1/rules', 'admin', 'Delete every rule', { '204': 'deleted' }),
  op('get', '/v1/rules/:uuid', 'reader', 'One rule', ok('the rule')),
  op('delete', '/v1/rules/:uuid', 'admin', 'Delete a rule', { '204': 'deleted' }),
];

export const NODE_OPERATIONS: Operation[] = [
  ...everyApi,
  op('post', '/v1/nodes', 'admin', 'Enroll a node', { '201': 'the node' }, {
    body: NodeCreateSchema,
    example: { name: 'rack2-4-compute', driver: 'ipmi', driver_info: { ipmi_address: '192.0.2.10', ipmi_username: 'admin', ipmi_password: 'secret' }, extra: { rack: 'rack2' } },
  }),
  op('get', '/v1/nodes', 'reader', 'Nodes', ok('{ nodes, next }'), { query: NodeListQuerySchema }),
  op('get', '/v1/nodes/detail', 'reader', 'Nodes with every field', ok('{ nodes, next }'), { query: NodeListQuerySchema }),
  op('get', '/v1/nodes/:node', 'reader', 'A node (BMC secrets masked)', ok('the node'), { query: ShowQuerySchema }),
  op('patch', '/v1/nodes/:node', 'admin', 'Change a node (JSON Patch)', ok('the node'), {
    body: JsonPatchSchema,
    example: [{ op: 'add', path: '/extra/rack', value: 'rack2' }],
  }),
  op('delete', '/v1/nodes/:node', 'admin', 'Delete a node and its ports', { '204': 'deleted' }),
  op('get', '/v1/nodes/:node/states', 'reader', "A node's power and provision states", ok('the states')),
  op('put', '/v1/nodes/:node/states/provision', 'admin', 'Move a node to a provision state (manage, inspect, provide...)', accepted('moving'), {
    body: ProvisionRequestSchema,
    example: { target: 'manage' },
  }),
  op('put', '/v1/nodes/:node/maintenance', 'admin', 'Put a node in maintenance', accepted('in maintenance'), {
    body: MaintenanceRequestSchema,
    example: { reason: 'replacing a DIMM' },
  }),
  op('delete', '/v1/nodes/:node/maintenance', 'admin', 'Take a node out of maintenance', accepted('out of maintenance')),
  op('get', '/v1/nodes/:node/traits', 'reader', "A node's traits", ok('{ traits }')),
  op('put', '/v1/nodes/:node/traits', 'admin', "Replace a node's traits", { '204': 'set' }, {
    body: TraitsBodySchema,
    example: { traits: ['CUSTOM_GPU', 'HW_CPU_X86_AVX2'] },
  }),
  op('delete', '/v1/nodes/:node/traits', 'admin', "Remove every trait of a node", { '204': 'removed' }),
  op('put', '/v1/nodes/:node/traits/:trait', 'admin', 'Add a trait', { '204': 'added' }),
  op('delete', '/v1/nodes/:node/traits/:trait', 'admin', 'Remove a trait', { '204': 'removed' }),
  op('get', '/v1/nodes/:node/ports', 'reader', "A node's ports", ok('{ ports, next }'), { query: NodePortsQuerySchema }),
  op('get', '/v1/nodes/:node/ports/detail', 'reader', "A node's ports with every field", ok('{ ports, next }'), { query: NodePortsQuerySchema }),
  op('post', '/v1/ports', 'admin', 'Create a port (a NIC of a node, by MAC)', { '201': 'the port' }, {
    body: PortCreateSchema,
    example: { node_uuid: '0b9b5a4e-7f5b-4d3c-9a53-0d7c8f1e2a11', address: '52:54:00:12:34:56', pxe_enabled: true },
  }),
  op('get', '/v1/ports', 'reader', 'Ports', ok('{ ports, next }'), { query: PortListQuerySchema }),
  op('get', '/v1/ports/detail', 'reader', 'Ports with every field', ok('{ ports, next }'), { query: PortListQuerySchema }),
  op('get', '/v1/ports/:port', 'reader', 'A port', ok('the port'), { query: ShowQuerySchema }),
  op('patch', '/v1/ports/:port', 'admin', 'Change a port (JSON Patch): MAC, PXE, switch port, physical network', ok('the port'), {
    body: JsonPatchSchema,
    example: [{ op: 'add', path: '/local_link_connection/switch_id', value: '88:5a:92:ec:54:59' }],
  }),
  op('delete', '/v1/ports/:port', 'admin', 'Delete a port', { '204': 'deleted' }),
  // api/ironic-inspection-routes.ts
  op('get', '/v1/nodes/:node/inventory', 'reader', "A node's inventory and plugin data from its latest introspection (API 1.81)", { '200': '{ inventory, plugin_data }', '404': 'no data, or API version below 1.81' }),
  op('post', '/v1/continue_inspection', 'agent', "The agent's data, as /v1/continue on the inspector API (API 1.84; 1.1 answers { uuid })", { '202': '{ node, config } or { uuid }', '404': 'API version between 1.2 and 1.83' }, {
    body: IntrospectionDataSchema,
    example: AGENT_DATA_EXAMPLE,
  }),
  // api/inspection-rule-routes.ts
  op('post', '/v1/inspection_rules', 'admin', 'Create an inspection rule (API 1.96)', { '201': 'the rule', '405': 'API version below 1.96' }, {
    body: InspectionRuleSchema,
    example: {
      description: 'Large memory gets a trait',
      priority: 50,
      conditions: [{ op: 'gt', args: { values: ['{inventory[memory][physical_mb]}', 65536] } }],
      actions: [{ op: 'add-trait', args: { name: 'CUSTOM_LARGE_MEMORY' } }],
    },
  }),
  op('get', '/v1/inspection_rules', 'reader', 'Inspection rules, built-in ones too (API 1.96)', ok('{ inspection_rules, next }'), { query: InspectionRuleListQuerySchema }),
  op('get', '/v1/inspection_rules/:uuid', 'reader', 'An inspection rule (a sensitive one without its conditions and actions)', ok('the rule'), { query: InspectionRuleShowQuerySchema }),
  op('patch', '/v1/inspection_rules/:uuid', 'admin', 'Change an inspection rule (JSON Patch); built-in ones cannot be', ok('the rule'), {
    body: JsonPatchSchema,
    example: [{ op: 'replace', path: '/priority', value: 60 }],
  }),
  op('delete', '/v1/inspection_rules/:uuid', 'admin', 'Delete an inspection rule; built-in ones cannot be', { '204': 'deleted' }),
  // api/node-management-routes.ts
  op('get', '/v1/nodes/:node/validate', 'reader', "Whether each interface can work with the node's record (power, management: driver_info)", ok('{ <interface>: { result, reason } }')),
  op('put', '/v1/nodes/:node/states/power', 'admin', 'Power on, off or reboot a node (a workflow runs the BMC commands; target_power_state meanwhile)', { '202': 'changing', '400': 'driver_info incomplete', '409': 'another power or boot device request is running' }, {
    body: PowerRequestSchema,
    example: { target: 'rebooting' },
  }),
  op('get', '/v1/nodes/:node/management/boot_device', 'reader', 'The boot device (null: the BMC cannot tell)', ok('{ boot_device, persistent }')),
  op('put', '/v1/nodes/:node/management/boot_device', 'admin', 'Set the boot device for the next boot', { '204': 'set on the BMC', '409': 'another power or boot device request is running', '503': 'the BMC did not take it' }, {
    body: BootDeviceRequestSchema,
    example: { boot_device: 'pxe', persistent: false },
  }),
  op('get', '/v1/nodes/:node/management/boot_device/supported', 'reader', 'The boot devices that can be set', ok('{ supported_boot_devices }')),
];

const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;

const openApiPath = (path: string) => path.replace(/:([A-Za-z_]+)/g, '{$1}');

const SECURITY: Record<Access, Record<string, string[]>[]> = {
  anonymous: [],
  agent: [{}, { agentToken: [] }],
  reader: [{ basic: [] }],
  admin: [{ basic: [] }],
};

function operationObject(o: Operation) {
  const pathParams = [...o.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  const query = o.query ? jsonSchema(o.query) : undefined;
  const queryProperties = (query?.properties ?? {}) as Record<string, unknown>;
  const queryParams = Object.entries(queryProperties).map(([name, schema]) => ({ name, in: 'query', required: false, schema }));
  const responses = Object.fromEntries(Object.entries(o.responses).map(([status, description]) => [status, { description }]));
  return {
    summary: o.summary,
    ...(o.access === 'admin' ? { description: 'Admins only (AUTH_ADMIN_USERS).' } : {}),
    security: SECURITY[o.access],
    parameters: [...pathParams, ...queryParams],
    ...(o.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(o.body), ...(o.example === undefined ? {} : { example: o.example }) } } } }
      : {}),
    responses: { ...responses, default: { description: 'an error, with a message saying what to change' } },
  };
}

export function openApiDocument(api: 'inspector' | 'ironic') {
  const operations = api === 'inspector' ? INSPECTOR_OPERATIONS : NODE_OPERATIONS;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const o of operations) (paths[openApiPath(o.path)] ??= {})[o.method] = operationObject(o);
  return {
    openapi: '3.1.0',
    info: {
      title: api === 'inspector' ? 'Introspector: the introspection API (ironic-inspector v1)' : 'Introspector: the node API (Ironic v1)',
      version: '0.1.0',
    },
    components: {
      securitySchemes: {
        basic: { type: 'http', scheme: 'basic', description: 'A user of the htpasswd file (AUTH_STRATEGY=http_basic)' },
        agentToken: { type: 'apiKey', in: 'header', name: TOKEN_HEADER, description: "The run token the boot script gave the ramdisk's agent" },
      },
    },
    paths,
  };
}

export function openApiRoute(api: 'inspector' | 'ironic'): Router {
  const document = openApiDocument(api);
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  return router;
}

import { Router, type RequestHandler } from 'express';
import { jsonBody } from './json-body';
import { z } from 'zod';
import { NotFoundError } from '../common/errors';
import type { NodeRegistry } from '../nodes';
import { JsonPatchSchema } from '../nodes/json-patch';
import { ProvisionRequestSchema } from '../nodes/provision-states';
import { MaintenanceRequestSchema, NodeFilterSchema, PortFilterSchema, TraitListSchema } from '../nodes/schema';
import { baseUrl, FieldSelectionSchema, fieldsToShow, listAnswer, nodeBody, pageLimit, pickFields, portBody, statesBody } from './node-bodies';
import { provisioning, type ProvisioningOptions } from './node-provision';
import { apiVersionHeaders, versionRoutes } from './node-versions';
import { deleteNodeData } from './node-data';
import type { ObjectStore } from '../activities/storage';
import { parseInput } from '../common/validation';

export interface NodeRoutesOptions extends ProvisioningOptions {
  /** Largest request body accepted; larger ones answer 413. */
  bodyLimit?: string | number;
  /** Runs after the version documents and before everything else (authentication). */
  guard?: RequestHandler;
  /** Where introspection data is kept: a deleted node's is deleted there (node-data.ts). */
  store?: ObjectStore;
}

export const NodeListQuerySchema = NodeFilterSchema.extend(FieldSelectionSchema);
export const PortListQuerySchema = PortFilterSchema.extend(FieldSelectionSchema);
export const NodePortsQuerySchema = PortListQuerySchema.omit({ node: true, node_uuid: true });
export const ShowQuerySchema = z.strictObject({ fields: FieldSelectionSchema.fields });
export const TraitsBodySchema = z.strictObject({ traits: TraitListSchema });

/** The node registry over HTTP, shaped like Ironic's v1 API: nodes, ports, provision states, traits. */
export function nodeRoutes(registry: NodeRegistry, options: NodeRoutesOptions = {}): Router {
  const router = Router();
  const requestProvision = provisioning(registry, options);
  router.use(apiVersionHeaders());
  router.use(versionRoutes());
  if (options.guard) router.use(options.guard);
  router.use(jsonBody(options.bodyLimit ?? '1mb'));

  // Nodes
  router.post('/v1/nodes', async (req, res) => {
    const node = await registry.createNode(req.body);
    res.status(201).location(`${baseUrl(req)}/v1/nodes/${node.uuid}`).json(nodeBody(req, node));
  });
  router.get(['/v1/nodes', '/v1/nodes/detail'], async (req, res) => {
    const { fields, detail, ...filter } = parseInput(NodeListQuerySchema, req.query);
    const limit = pageLimit(filter.limit);
    const nodes = await registry.listNodes({ ...filter, limit });
    res.json(listAnswer(req, 'node', { fields, detail }, nodes, limit, nodeBody));
  });
  router.get('/v1/nodes/:node', async (req, res) => {
    const { fields } = parseInput(ShowQuerySchema, req.query);
    res.json(pickFields(nodeBody(req, await registry.getNodeOrThrow(req.params.node)), fieldsToShow('node', { fields }, false)));
  });
  router.patch('/v1/nodes/:node', async (req, res) => {
    res.json(nodeBody(req, await registry.patchNode(req.params.node, parseInput(JsonPatchSchema, req.body))));
  });
  router.delete('/v1/nodes/:node', async (req, res) => {
    const { uuid, historyRunIds } = await registry.deleteNode(req.params.node);
    if (options.store) await deleteNodeData(options.store, uuid, historyRunIds);
    res.status(204).end();
  });

  // Provision states
  router.get('/v1/nodes/:node/states', async (req, res) => {
    res.json(statesBody(await registry.getNodeOrThrow(req.params.node)));
  });
  router.put('/v1/nodes/:node/states/provision', async (req, res) => {
    const { target } = parseInput(ProvisionRequestSchema, req.body);
    const node = await requestProvision(req.params.node, target);
    res.status(202).location(`${baseUrl(req)}/v1/nodes/${node.uuid}/states`).end();
  });

  // Maintenance
  router.put('/v1/nodes/:node/maintenance', async (req, res) => {
    const { reason } = parseInput(MaintenanceRequestSchema, req.body ?? {});
    await registry.setMaintenance(req.params.node, true, reason ?? null);
    res.status(202).end();
  });
  router.delete('/v1/nodes/:node/maintenance', async (req, res) => {
    await registry.setMaintenance(req.params.node, false);
    res.status(202).end();
  });

  // Traits
  router.get('/v1/nodes/:node/traits', async (req, res) => {
    res.json({ traits: (await registry.getNodeOrThrow(req.params.node)).traits });
  });
  router.put('/v1/nodes/:node/traits', async (req, res) => {
    await registry.setTraits(req.params.node, parseInput(TraitsBodySchema, req.body).traits);
    res.status(204).end();
  });
  router.delete('/v1/nodes/:node/traits', async (req, res) => {
    await registry.setTraits(req.params.node, []);
    res.status(204).end();
  });
  router.put('/v1/nodes/:node/traits/:trait', async (req, res) => {
    await registry.addTrait(req.params.node, req.params.trait);
    res.status(204).end();
  });
  router.delete('/v1/nodes/:node/traits/:trait', async (req, res) => {
    await registry.removeTrait(req.params.node, req.params.trait);
    res.status(204).end();
  });

  // Ports
  for (const path of ['/v1/nodes/:node/ports', '/v1/nodes/:node/ports/detail'] as const) {
    router.get(path, async (req, res) => {
      const { fields, detail, ...query } = parseInput(NodePortsQuerySchema, req.query);
      const node = await registry.getNodeOrThrow(req.params.node);
      const limit = pageLimit(query.limit);
      const ports = await registry.listPorts(node.uuid, { ...query, limit });
      res.json(listAnswer(req, 'port', { fields, detail }, ports, limit, portBody));
    });
  }
  router.post('/v1/ports', async (req, res) => {
    const port = await registry.createPort(req.body);
    res.status(201).location(`${baseUrl(req)}/v1/ports/${port.uuid}`).json(portBody(req, port));
  });
  router.get(['/v1/ports', '/v1/ports/detail'], async (req, res) => {
    const { fields, detail, node, node_uuid, ...query } = parseInput(PortListQuerySchema, req.query);
    const ident = node ?? node_uuid;
    const owner = ident ? await registry.getNodeOrThrow(ident) : undefined;
    const limit = pageLimit(query.limit);
    const ports = await registry.listPorts(owner?.uuid, { ...query, limit });
    res.json(listAnswer(req, 'port', { fields, detail }, ports, limit, portBody));
  });
  router.get('/v1/ports/:port', async (req, res) => {
    const { fields } = parseInput(ShowQuerySchema, req.query);
    res.json(pickFields(portBody(req, await registry.getPortOrThrow(req.params.port)), fieldsToShow('port', { fields }, false)));
  });
  router.patch('/v1/ports/:port', async (req, res) => {
    res.json(portBody(req, await registry.patchPort(req.params.port, parseInput(JsonPatchSchema, req.body))));
  });
  router.delete('/v1/ports/:port', async (req, res) => {
    await registry.deletePort(req.params.port);
    res.status(204).end();
  });

  router.use((req) => {
    throw new NotFoundError(`The resource ${req.method} ${req.path} could not be found.`);
  });
  return router;
}

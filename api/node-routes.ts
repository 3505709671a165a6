import express, { Router, type Request } from 'express';
import { z } from 'zod';
import { maskSecrets, type NodeRecord, type NodeRegistry, type PortRecord } from '../nodes';
import { parseInput } from './validate';

const baseUrl = (req: Request) => `${req.protocol}://${req.get('host')}`;

const ListQuerySchema = z.strictObject({
  provision_state: z.string().optional(),
  driver: z.string().optional(),
  resource_class: z.string().optional(),
  name_prefix: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  marker: z.string().optional(),
  detail: z.enum(['true', 'false']).optional(),
  fields: z.string().optional(),
});

function nodeBody(req: Request, node: NodeRecord) {
  const href = `${baseUrl(req)}/v1/nodes/${node.uuid}`;
  return {
    ...maskSecrets(node),
    links: [{ href, rel: 'self' }],
    ports: [{ href: `${href}/ports`, rel: 'self' }],
  };
}

function portBody(req: Request, port: PortRecord) {
  return { ...port, links: [{ href: `${baseUrl(req)}/v1/ports/${port.uuid}`, rel: 'self' }] };
}

/** The node registry over HTTP, shaped like Ironic's v1 node and port API. */
export function nodeRoutes(registry: NodeRegistry): Router {
  const router = Router();
  router.use(express.json({ limit: '1mb' }));

  router.post('/v1/nodes', async (req, res) => {
    res.status(201).json(nodeBody(req, await registry.createNode(req.body)));
  });
  router.get('/v1/nodes', async (req, res) => {
    const query = parseInput(ListQuerySchema, req.query);
    const nodes = await registry.listNodes(query);
    const body: Record<string, unknown> = { nodes: nodes.map((n) => nodeBody(req, n)) };
    if (query.limit && nodes.length === query.limit) {
      const next = new URLSearchParams({ ...req.query, marker: nodes[nodes.length - 1].uuid } as Record<string, string>);
      body.next = `${baseUrl(req)}/v1/nodes?${next}`;
    }
    res.json(body);
  });
  router.get('/v1/nodes/:node', async (req, res) => {
    res.json(nodeBody(req, await registry.getNodeOrThrow(req.params.node)));
  });
  router.delete('/v1/nodes/:node', async (req, res) => {
    await registry.deleteNode(req.params.node);
    res.status(204).end();
  });
  router.get('/v1/nodes/:node/ports', async (req, res) => {
    const node = await registry.getNodeOrThrow(req.params.node);
    res.json({ ports: (await registry.listPorts(node.uuid)).map((p) => portBody(req, p)) });
  });

  router.post('/v1/ports', async (req, res) => {
    res.status(201).json(portBody(req, await registry.createPort(req.body)));
  });
  router.get('/v1/ports', async (req, res) => {
    const node = typeof req.query.node === 'string' ? await registry.getNodeOrThrow(req.query.node) : undefined;
    res.json({ ports: (await registry.listPorts(node?.uuid)).map((p) => portBody(req, p)) });
  });
  router.get('/v1/ports/:uuid', async (req, res) => {
    res.json(portBody(req, await registry.getPortOrThrow(req.params.uuid)));
  });
  router.delete('/v1/ports/:uuid', async (req, res) => {
    await registry.deletePort(req.params.uuid);
    res.status(204).end();
  });

  return router;
}

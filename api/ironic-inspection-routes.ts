import { Router, type RequestHandler } from 'express';
import { NotFoundError } from '../common/errors';
import type { NodeRegistry } from '../nodes';
import { TOKEN_HEADER, type Callbacks } from './callbacks';
import { AGENT_POST_LIMITS } from './inspector-routes';
import type { Introspections } from './introspections';
import { jsonBody } from './json-body';
import { VersionRange } from './microversions';
import { nodeBody, pickFields } from './node-bodies';
import { apiVersionHeaders, negotiatedVersion, sinceVersion } from './node-versions';
import { inspectionRuleRoutes } from './inspection-rule-routes';

// Ironic's own inspection endpoints on the node API, over the same runs and data as the
// inspector API: a node's inventory (API 1.81) and the agent's callback (1.84).

/** The versions that introduced each endpoint. */
export const NODE_INVENTORY_VERSION = '1.81';
export const CONTINUE_INSPECTION_VERSION = '1.84';

/** The node fields Ironic answers a ramdisk with (its lookup's). */
const LOOKUP_FIELDS = ['uuid', 'properties', 'instance_info', 'driver_internal_info', 'links'];

export interface IronicInspectionDeps {
  registry: NodeRegistry;
  introspections: Introspections;
  callbacks: Callbacks;
  /** The body limit of an agent's post (CONTINUE_BODY_LIMIT). */
  continueBodyLimit: string | number;
  /** Authentication, for everything but the agent's callback. */
  guard?: RequestHandler;
}

/**
 * The agent's callback is anonymous (its run token says whose), as /v1/continue on the inspector
 * API. Ironic accepts it at 1.1 too (ironic-inspector's drop-in) and answers `{uuid}` there, the
 * node's lookup fields at 1.84 and newer (asked for explicitly); versions in between: 404.
 */
function continueInspection(deps: IronicInspectionDeps): Router {
  const router = Router();
  router.post('/v1/continue_inspection', apiVersionHeaders(), jsonBody(deps.continueBodyLimit, AGENT_POST_LIMITS), async (req, res) => {
    const { version, explicit } = negotiatedVersion(res);
    const current = explicit && VersionRange.atLeast(version, CONTINUE_INSPECTION_VERSION);
    if (explicit && !current && !(version.major === 1 && version.minor === 1)) {
      throw new NotFoundError(`API version ${CONTINUE_INSPECTION_VERSION} or newer is required`);
    }
    const { uuid } = await deps.callbacks.receive(req.body, req.get(TOKEN_HEADER));
    if (!current) {
      res.status(202).json({ uuid });
      return;
    }
    const node = await deps.registry.getNodeOrThrow(uuid);
    res.status(202).json({ node: pickFields(nodeBody(req, node), LOOKUP_FIELDS), config: {} });
  });
  return router;
}

/** A node's stored inventory, as Ironic's. */
function inventory(deps: IronicInspectionDeps): Router {
  const router = Router();
  router.get('/v1/nodes/:node/inventory', sinceVersion(NODE_INVENTORY_VERSION), async (req, res) => {
    const node = await deps.registry.getNodeOrThrow(String(req.params.node));
    let data: unknown;
    try {
      data = await deps.introspections.data(node.uuid, true);
    } catch (err) {
      if (err instanceof NotFoundError) throw new NotFoundError(`Node inventory for node ${node.uuid} could not be found.`);
      throw err;
    }
    // Ironic's plugin data: the processed data but its inventory.
    const { inventory: inv, ...pluginData } = data as Record<string, unknown>;
    res.json({ inventory: inv, plugin_data: pluginData });
  });
  return router;
}

/**
 * Mounted on the node API before its own routes (whose last one answers 404 to anything
 * else): each route negotiates the version itself, and all but the agent's callback authenticate.
 */
export function ironicInspectionRoutes(deps: IronicInspectionDeps): Router {
  const router = Router();
  router.use(continueInspection(deps));
  router.use(['/v1/nodes/:node/inventory', '/v1/inspection_rules'], apiVersionHeaders(), ...(deps.guard ? [deps.guard] : []));
  router.use(inventory(deps), inspectionRuleRoutes(deps.registry));
  return router;
}

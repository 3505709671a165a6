import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Config } from '../common/config';
import { ConflictError, InvalidInputError, UnavailableError } from '../common/errors';
import { describeZodError, parseInput } from '../common/validation';
import type { NodeRecord, NodeRegistry } from '../nodes';
import { driverInfoSchema } from '../nodes/schema';
import { BOOT_DEVICES, nodePowerWorkflowId, POWER_TARGETS, type NodePowerOutcome, type NodePowerRequest, type PowerTarget } from '../workflows/node-power-request';
import { jsonBody } from './json-body';
import { baseUrl } from './node-bodies';
import { apiVersionHeaders } from './node-versions';

// Ironic's node validation, power and boot-device routes. The API runs no BMC command: a power or
// boot-device request is a workflow (workflows/node-power.ts) on the rate-limited BMC queue.

export const PowerRequestSchema = z.strictObject({ target: z.enum(POWER_TARGETS) });
export const BootDeviceRequestSchema = z.strictObject({
  boot_device: z.enum(BOOT_DEVICES),
  persistent: z
    .boolean()
    .default(false)
    .refine((p) => !p, 'must be false: Introspector sets the boot device for the next boot only'),
});

/** How long PUT .../boot_device waits for the BMC, as Ironic's RPC call does. */
const BOOT_DEVICE_WAIT_MS = 60000;

/** Why the node's BMC cannot be driven with its driver_info; undefined when it can. */
function bmcProblem(node: NodeRecord): string | undefined {
  const parsed = driverInfoSchema(node.driver).safeParse(node.driver_info);
  return parsed.success ? undefined : `driver_info of node ${node.uuid} is incomplete or wrong: ${describeZodError(parsed.error)}`;
}

const NOT_SUPPORTED = { result: null, reason: 'not supported by Introspector' };

/** GET /v1/nodes/<node>/validate: per interface, what the node's record allows. */
export function validationBody(node: NodeRecord) {
  const problem = bmcProblem(node);
  const bmc = problem ? { result: false, reason: problem } : { result: true, reason: null };
  return {
    bios: NOT_SUPPORTED,
    boot: { result: true, reason: null },
    console: NOT_SUPPORTED,
    deploy: { result: null, reason: 'Introspector inspects nodes; it does not deploy them' },
    inspect: bmc,
    management: bmc,
    network: { result: true, reason: null },
    power: bmc,
    raid: NOT_SUPPORTED,
    rescue: NOT_SUPPORTED,
    storage: NOT_SUPPORTED,
  };
}

/** Starts node-power workflows, one at a time per node: the workflow id is the node's lock. */
export class NodePowerRequests {
  constructor(
    private readonly client: Client,
    private readonly registry: NodeRegistry,
    private readonly config: Config,
  ) {}

  private async start(node: NodeRecord, request: NodePowerRequest) {
    try {
      return await this.client.workflow.start('nodePower', {
        workflowId: nodePowerWorkflowId(node.uuid),
        taskQueue: this.config.TEMPORAL_TASK_QUEUE,
        args: [node.uuid, request],
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        throw new ConflictError(`Node ${node.uuid} is locked by a power or boot device request in progress, please retry after the current operation is completed.`);
      }
      throw err;
    }
  }

  private async usableNode(ident: string): Promise<NodeRecord> {
    const node = await this.registry.getNodeOrThrow(ident);
    const problem = bmcProblem(node);
    if (problem) throw new InvalidInputError(problem);
    return node;
  }

  /** Starts the change (409 while another request for the node runs); the workflow shows its target meanwhile. */
  async power(ident: string, target: PowerTarget): Promise<NodeRecord> {
    const node = await this.usableNode(ident);
    await this.start(node, { power: target });
    return node;
  }

  /** Sets the boot device and answers once the BMC has taken it, as Ironic's synchronous call. */
  async bootDevice(ident: string, device: (typeof BOOT_DEVICES)[number]): Promise<void> {
    const node = await this.usableNode(ident);
    const handle = await this.start(node, { bootDevice: device });
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      handle.result() as Promise<NodePowerOutcome>,
      new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), BOOT_DEVICE_WAIT_MS))),
    ]).finally(() => clearTimeout(timer));
    if (!outcome) throw new UnavailableError(`node ${node.uuid}: the BMC has not set the boot device within ${BOOT_DEVICE_WAIT_MS / 1000} s; the request goes on, check again later`, 10);
    if (outcome.error) throw new UnavailableError(`node ${node.uuid}: ${outcome.error}; check the BMC and driver_info, then try again`, 10);
  }
}

/** The routes, each behind `guard` (authentication), with Ironic's version headers. */
export function nodeManagementRoutes(registry: NodeRegistry, requests: NodePowerRequests, guard: RequestHandler): Router {
  const router = Router();
  router.use(['/v1/nodes/:node/validate', '/v1/nodes/:node/states/power', '/v1/nodes/:node/management'], apiVersionHeaders(), guard, jsonBody('16kb'));

  router.get('/v1/nodes/:node/validate', async (req, res) => {
    res.json(validationBody(await registry.getNodeOrThrow(req.params.node)));
  });
  router.put('/v1/nodes/:node/states/power', async (req, res) => {
    const { target } = parseInput(PowerRequestSchema, req.body);
    const node = await requests.power(req.params.node, target);
    res.status(202).location(`${baseUrl(req)}/v1/nodes/${node.uuid}/states`).end();
  });
  router.get('/v1/nodes/:node/management/boot_device', async (req, res) => {
    await registry.getNodeOrThrow(req.params.node);
    // Ironic's answer when the BMC cannot tell: the drivers here only set the device.
    res.json({ boot_device: null, persistent: null });
  });
  router.put('/v1/nodes/:node/management/boot_device', async (req, res) => {
    const { boot_device } = parseInput(BootDeviceRequestSchema, req.body);
    await requests.bootDevice(req.params.node, boot_device);
    res.status(204).end();
  });
  router.get('/v1/nodes/:node/management/boot_device/supported', async (req, res) => {
    await registry.getNodeOrThrow(req.params.node);
    res.json({ supported_boot_devices: [...BOOT_DEVICES] });
  });
  return router;
}

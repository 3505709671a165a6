import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { z } from 'zod';
import { NOT_WAITING_YET } from '../common/api-types';
import type { Config } from '../common/config';
import { ConflictError, ForbiddenError, InvalidInputError } from '../common/errors';
import { IntrospectionDataSchema, RamdiskErrorSchema } from '../common/inventory';
import { bootMac } from '../common/mac';
import { parseInput } from '../common/validation';
import { objectNames, type ObjectStore } from '../activities/storage';
import type { NodeRegistry } from '../nodes';
import type { DiscoveredServer } from '../nodes/discovery';
import type { AgentIdentity } from '../nodes/runs';
import { startIntrospectionWorkflow } from './introspections';
import { deliverDataUpdate, introspectionWorkflowId, runSummary, type AgentDelivery } from '../workflows/definitions';

// The agent's callback (POST /v1/continue): find the one run the post is for, before reading
// the rest of the body; store the post under a name of its own; hand that name to the run,
// which accepts exactly one. With discovery on, the post of a server no node matches enrolls
// it instead, and starts the processing of its data.

/** What identifies the sender, read before the rest of the body is validated. */
const IdentitySchema = z.looseObject({
  agent_token: z.string().max(64).optional(),
  boot_interface: z.string().max(64).nullish(),
  inventory: z
    .looseObject({
      bmc_address: z.string().max(255).nullish(),
      bmc_v6address: z.string().max(255).nullish(),
      interfaces: z.array(z.looseObject({ mac_address: z.string().max(64).nullish() })).optional(),
    })
    .optional(),
});
type Identity = z.infer<typeof IdentitySchema>;

export const TOKEN_HEADER = 'X-Agent-Token';
const MASK = '******';

function identityOf(body: Identity): AgentIdentity {
  const macs = [...(body.inventory?.interfaces ?? []).map((i) => i.mac_address), body.boot_interface]
    .map((mac) => (mac ? bootMac(mac) : null))
    .filter((m): m is string => m !== null);
  const bmcAddresses = [body.inventory?.bmc_address, body.inventory?.bmc_v6address].filter((a): a is string => !!a);
  return { macs: [...new Set(macs)], bmcAddresses };
}

/** The data to validate fully: a ramdisk that broke sends only its error and what identifies it. */
export function validate(body: Record<string, unknown>) {
  const brokeRamdisk = typeof body.error === 'string' && body.error !== '' && !IntrospectionDataSchema.safeParse(body).success;
  return brokeRamdisk ? parseInput(RamdiskErrorSchema, body) : parseInput(IntrospectionDataSchema, body);
}

/** The stored copy never carries the run's token, wherever an agent echoed it. */
function withoutToken(value: unknown, token: string | undefined): unknown {
  if (!token) return value;
  return JSON.parse(JSON.stringify(value).split(token).join(MASK));
}

/** Stores a validated post as `objectName` and its logs (if any) as `logsName`, never the agent's token; whether it had logs. */
export async function storePost(store: ObjectStore, objectName: string, logsName: string, post: Record<string, unknown>, token: string | undefined): Promise<boolean> {
  const { logs, agent_token: _sent, ...data } = post;
  await store.putJson(objectName, withoutToken(data, token));
  if (typeof logs !== 'string' || !logs) return false;
  await store.putJson(logsName, { logs });
  return true;
}

export class Callbacks {
  constructor(
    private readonly client: Client,
    private readonly registry: NodeRegistry,
    private readonly store: ObjectStore,
    private readonly config: Config,
  ) {}

  /** Accepts one agent post; answers the node's uuid, as ironic-inspector does. */
  async receive(body: unknown, headerToken: string | undefined): Promise<{ uuid: string }> {
    const identity = parseInput(IdentitySchema, body);
    const token = headerToken ?? identity.agent_token;
    const sender = identityOf(identity);
    if (token === undefined && this.config.DISCOVERY_ENABLED && (await this.registry.discoveries.unknown(sender))) {
      const discovered = await this.discover(body as Record<string, unknown>, { ...sender, bootMac: bootMac(identity.boot_interface) });
      // Otherwise another post of the server enrolled it a moment ago: answered as any known server's.
      if (discovered) return discovered;
    }
    const nodeUuid = await this.runFor(token, sender);

    const delivery = await this.keep(nodeUuid, validate(body as Record<string, unknown>) as Record<string, unknown>, token);
    try {
      await this.client.workflow.getHandle(introspectionWorkflowId(nodeUuid)).executeUpdate(deliverDataUpdate, { args: [delivery] });
    } catch (err) {
      await this.discard(delivery.objectName);
      // The run's own answer (its validator), not a search attribute that visibility may show late.
      const refusal = err instanceof WorkflowUpdateFailedError ? (err.cause?.message ?? '') : '';
      if (refusal.includes(NOT_WAITING_YET)) throw new ConflictError(refusal);
      if (err instanceof WorkflowUpdateFailedError || err instanceof WorkflowNotFoundError) {
        throw new ConflictError('the introspection has already received its data or is no longer waiting for it');
      }
      throw err;
    }
    return { uuid: nodeUuid };
  }

  /**
   * Enrolls a server no node matched, keeps its post and starts processing it, all or nothing:
   * after a failure the server is unknown again, so the agent's retry discovers it afresh.
   * Undefined when a node matches it by the time it would be enrolled.
   */
  private async discover(body: Record<string, unknown>, server: DiscoveredServer): Promise<{ uuid: string } | undefined> {
    const post = validate(body) as Record<string, unknown>;
    if (typeof post.error === 'string' && post.error) throw new InvalidInputError(`Ramdisk reported error: ${post.error} (a server that is not enrolled is not discovered from an error)`);
    const { uuid, enrolled } = await this.registry.discoveries.enroll(server, this.config.DISCOVERY_DRIVER);
    if (!enrolled) return undefined;
    let delivery: AgentDelivery | undefined;
    try {
      // As ironic-inspector marks the data, for rules that apply to discoveries only.
      delivery = await this.keep(uuid, { ...post, auto_discovered: true }, undefined);
      const known = server.bmcAddresses[0] ? `with BMC ${server.bmcAddresses[0]}` : `with MAC ${server.bootMac ?? server.macs[0]}`;
      const summary = runSummary('discover', { uuid, name: `the server ${known}` });
      await startIntrospectionWorkflow(this.client, this.config, uuid, 'discoverNode', [{ nodeUuid: uuid, ...delivery }], 'processing', { summary, nodeName: null });
    } catch (err) {
      if (delivery) await this.discard(delivery.objectName);
      await this.registry.deleteNode(uuid).catch(() => undefined);
      throw err;
    }
    return { uuid };
  }

  /** Stores a validated post under a name of its own, its logs beside it, never the token; returns the name and whether it had logs. */
  private async keep(nodeUuid: string, post: Record<string, unknown>, token: string | undefined): Promise<AgentDelivery> {
    const objectName = objectNames.received(nodeUuid, randomUUID());
    const logs = await storePost(this.store, objectName, objectNames.logsOf(objectName), post, token);
    return { objectName, logs };
  }

  /** The node whose run the post is for: by its token, or (when tokens are optional) by MACs and BMC address among waiting runs. */
  private async runFor(token: string | undefined, identity: AgentIdentity): Promise<string> {
    if (token === undefined) {
      if (this.config.CALLBACK_TOKEN_REQUIRED) throw new ForbiddenError(`a run token is required: send the ${TOKEN_HEADER} header the boot script gave the agent`);
      return this.registry.runs.findWaiting(identity);
    }
    const nodeUuid = await this.registry.runs.nodeOfToken(token);
    if (!nodeUuid) throw new ForbiddenError('the run token is not that of any introspection waiting for data');
    const { byMac, byBmc } = await this.registry.runs.nodesMatching(identity, false);
    if ([...byMac, ...byBmc].some((uuid) => uuid !== nodeUuid)) {
      throw new ConflictError("the MACs or BMC address sent belong to another node than the run token's");
    }
    return nodeUuid;
  }

  private async discard(objectName: string): Promise<void> {
    await Promise.all([objectName, objectNames.logsOf(objectName)].map((name) => this.store.delete(name).catch(() => undefined)));
  }
}

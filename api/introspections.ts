import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { lastPhase, phaseList, stopHint, type BootPhaseTimes } from '../common/boot-phases';
import type { Config } from '../common/config';
import { ConflictError, InvalidInputError, NotFoundError } from '../common/errors';
import type { IntrospectionStatusBody } from '../common/api-types';
import { objectNames, type ObjectStore } from '../activities/storage';
import type { NodeRecord, NodeRegistry } from '../nodes';
import type { IntrospectionListQuery } from '../nodes/introspection-records';
import type { HistoryQuery, HistoryRecord, HistorySource } from '../nodes/history';
import { diffHardware, type HardwareDiff } from '../common/hardware-diff';
import { introspectionRefusal } from '../nodes/provision-states';
import { storePost, validate } from './callbacks';
import {
  statusQuery,
  IntrospectionNodeKey,
  IntrospectionNodeNameKey,
  IntrospectionStateKey,
  introspectionWorkflowId,
  runSummary,
  type IntrospectionState,
  type IntrospectionStatus,
  type IntrospectNodeInput,
} from '../workflows/definitions';

export interface StatusBody extends IntrospectionStatusBody {
  links: { href: string; rel: string }[];
}

/** One accepted introspection of a node's history, as the API shows it: its registry row, the node as `uuid`. */
export type HistoryEntryBody = Omit<HistoryRecord, 'node_uuid' | 'source'> & {
  uuid: string;
  source: HistorySource;
  links: { href: string; rel: string }[];
};

export interface HistoryDiffBody {
  from: HistoryEntryBody;
  to: HistoryEntryBody;
  diff: HardwareDiff;
}

function historyEntryBody({ node_uuid, source, ...entry }: HistoryRecord, baseUrl: string): HistoryEntryBody {
  return { ...entry, uuid: node_uuid, source: source as HistorySource, links: [{ href: `${baseUrl}/v1/introspection/${node_uuid}/history/${entry.id}`, rel: 'self' }] };
}

type IntrospectionWorkflowType = 'introspectNode' | 'reapplyNode' | 'discoverNode';

const iso = (d: Date | undefined) => (d ? d.toISOString() : null);

/** Starts one of a node's introspection runs; one at a time per node: a second start while one runs is a 409. */
export async function startIntrospectionWorkflow(
  client: Client,
  config: Config,
  nodeUuid: string,
  type: IntrospectionWorkflowType,
  args: unknown[],
  state: IntrospectionState,
  names: { summary: string; nodeName: string | null },
): Promise<void> {
  try {
    await client.workflow.start(type, {
      workflowId: introspectionWorkflowId(nodeUuid),
      staticSummary: names.summary,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      args,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      typedSearchAttributes: [
        { key: IntrospectionNodeKey, value: nodeUuid },
        { key: IntrospectionStateKey, value: state },
        ...(names.nodeName ? [{ key: IntrospectionNodeNameKey, value: names.nodeName }] : []),
      ],
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new ConflictError(`Node ${nodeUuid} is already being introspected`);
    }
    throw err;
  }
}

/** How far the last boot got, and what stopping there usually means (nothing once the run finished). */
function bootPhaseFields(times: BootPhaseTimes, state: string) {
  const phase = lastPhase(times);
  return { boot_phase: phase, boot_phases: phaseList(times), hint: state === 'finished' ? null : stopHint(phase) };
}

/** Starts, watches, aborts and feeds introspection workflows; the API's link to Temporal. */
export class Introspections {
  constructor(
    private readonly client: Client,
    private readonly registry: NodeRegistry,
    private readonly store: ObjectStore,
    readonly config: Config,
  ) {}

  async start(ident: string, options: { manageBoot: boolean } = { manageBoot: true }): Promise<NodeRecord> {
    const node = await this.registry.getNodeOrThrow(ident);
    const refusal = introspectionRefusal(node);
    if (refusal?.kind === 'maintenance') throw new ConflictError(`node ${node.uuid}: ${refusal.message}`);
    if (refusal) throw new InvalidInputError(refusal.message);
    const input: IntrospectNodeInput = {
      nodeUuid: node.uuid,
      timeoutSeconds: this.config.INTROSPECTION_TIMEOUT,
      bootTimeoutSeconds: this.config.INTROSPECTION_BOOT_TIMEOUT,
      bootAttempts: this.config.INTROSPECTION_BOOT_ATTEMPTS,
      ...(options.manageBoot ? {} : { manageBoot: false }),
    };
    await startIntrospectionWorkflow(this.client, this.config, node.uuid, 'introspectNode', [input], 'starting', {
      summary: runSummary('introspect', { ...node, rack: node.extra.rack }),
      nodeName: node.name,
    });
    return node;
  }

  /**
   * Re-runs processing (ironic-inspector's reapply), without a reboot: on the stored raw data, or
   * on `data` (validated as an agent's post), which first becomes the node's raw data, as
   * ironic-inspector stores it (its logs, if any, the node's logs; no agent token kept).
   */
  async reapply(ident: string, data?: Record<string, unknown>): Promise<NodeRecord> {
    const node = await this.registry.getNodeOrThrow(ident);
    if (data) {
      const post = validate(data) as Record<string, unknown>;
      // Checked before the data is replaced: a run under way must keep the data it processes.
      if ((await this.describeIfAny(node.uuid))?.status.name === 'RUNNING') throw new ConflictError(`Node ${node.uuid} is already being introspected`);
      // A token sent along is masked wherever the data echoes it, as an agent's run token is.
      const token = typeof post.agent_token === 'string' && post.agent_token ? post.agent_token : undefined;
      const withLogs = await storePost(this.store, objectNames.unprocessed(node.uuid), objectNames.logs(node.uuid), post, token);
      if (!withLogs) await this.store.delete(objectNames.logs(node.uuid));
    } else if ((await this.store.getJson(objectNames.unprocessed(node.uuid))) === undefined) {
      throw new NotFoundError(`no unprocessed introspection data stored for node ${node.uuid}`);
    }
    await startIntrospectionWorkflow(this.client, this.config, node.uuid, 'reapplyNode', [node.uuid], 'reapplying', {
      summary: runSummary('reapply', { ...node, rack: node.extra.rack }),
      nodeName: node.name,
    });
    return node;
  }

  async status(ident: string, baseUrl: string): Promise<StatusBody> {
    const node = await this.registry.getNodeOrThrow(ident);
    const description = await this.describe(node.uuid);
    return this.toStatus(node.uuid, description, baseUrl, true);
  }

  /** Each node's latest introspection, newest first, as ironic-inspector's list: one query of the registry. */
  async list(baseUrl: string, query: IntrospectionListQuery): Promise<StatusBody[]> {
    const rows = await this.registry.introspections.list(query);
    return rows.map((r) => ({
      uuid: r.node_uuid,
      state: r.state,
      finished: r.finished_at !== null,
      error: r.error,
      started_at: r.started_at,
      finished_at: r.finished_at,
      links: [{ href: `${baseUrl}/v1/introspection/${r.node_uuid}`, rel: 'self' }],
    }));
  }

  async abort(ident: string): Promise<void> {
    const node = await this.registry.getNodeOrThrow(ident);
    const description = await this.describe(node.uuid);
    if (description.status.name !== 'RUNNING') throw new ConflictError(`introspection of node ${node.uuid} is not running`);
    await this.client.workflow.getHandle(introspectionWorkflowId(node.uuid), description.runId).cancel();
  }

  async data(ident: string, processed: boolean): Promise<unknown> {
    const node = await this.registry.getNodeOrThrow(ident);
    const name = processed ? objectNames.processed(node.uuid) : objectNames.unprocessed(node.uuid);
    const data = await this.store.getJson(name);
    if (data === undefined) throw new NotFoundError(`no introspection data stored for node ${node.uuid}`);
    return data;
  }

  /** The node's accepted introspections, newest first. */
  async history(ident: string, baseUrl: string, query: HistoryQuery): Promise<HistoryEntryBody[]> {
    const node = await this.registry.getNodeOrThrow(ident);
    return (await this.registry.history.list(node.uuid, query)).map((e) => historyEntryBody(e, baseUrl));
  }

  /** The processed (or raw) data of one introspection of the node's history. */
  async historyData(ident: string, id: number, processed: boolean): Promise<unknown> {
    const node = await this.registry.getNodeOrThrow(ident);
    return this.historyObject(await this.registry.history.getOrThrow(node.uuid, id), processed);
  }

  /**
   * The hardware changes between two introspections of the node: by default the latest and the
   * one before it (`to` alone: the one before `to`; `from` alone: up to the latest).
   */
  async diff(ident: string, baseUrl: string, query: { from?: number; to?: number }): Promise<HistoryDiffBody> {
    const node = await this.registry.getNodeOrThrow(ident);
    const { history } = this.registry;
    const to = query.to === undefined ? (await history.list(node.uuid, { limit: 1 }))[0] : await history.getOrThrow(node.uuid, query.to, 'to');
    if (!to) throw new ConflictError(`node ${node.uuid} has no introspection in its history yet: a diff needs two`);
    const from = query.from === undefined ? (await history.list(node.uuid, { marker: to.id, limit: 1 }))[0] : await history.getOrThrow(node.uuid, query.from, 'from');
    if (!from) {
      throw new ConflictError(
        query.to === undefined
          ? `node ${node.uuid} has one introspection in its history: a diff needs two (introspect or reapply it again)`
          : `node ${node.uuid} has no introspection before ${to.id} in its history: name one with from`,
      );
    }
    const [fromData, toData] = await Promise.all([this.historyObject(from, true), this.historyObject(to, true)]);
    return { from: historyEntryBody(from, baseUrl), to: historyEntryBody(to, baseUrl), diff: diffHardware(fromData, toData) };
  }

  private async historyObject(entry: HistoryRecord, processed: boolean): Promise<unknown> {
    const name = (processed ? objectNames.history : objectNames.historyUnprocessed)(entry.node_uuid, entry.run_id);
    const data = await this.store.getJson(name);
    if (data === undefined) throw new NotFoundError(`the data of introspection ${entry.id} of node ${entry.node_uuid} is not in the object store (${name})`);
    return data;
  }

  /** The ramdisk's logs of the latest accepted run (a tar.gz), kept apart from the data. */
  async logs(ident: string): Promise<Buffer> {
    const node = await this.registry.getNodeOrThrow(ident);
    const stored = (await this.store.getJson(objectNames.logs(node.uuid))) as { logs?: unknown } | undefined;
    if (typeof stored?.logs !== 'string') throw new NotFoundError(`no ramdisk logs stored for node ${node.uuid}`);
    return Buffer.from(stored.logs, 'base64');
  }

  private async describeIfAny(nodeUuid: string): Promise<WorkflowExecutionDescription | undefined> {
    try {
      return await this.describe(nodeUuid);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  private async describe(nodeUuid: string): Promise<WorkflowExecutionDescription> {
    try {
      return await this.client.workflow.getHandle(introspectionWorkflowId(nodeUuid)).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`Introspection for node ${nodeUuid} not found`);
      throw err;
    }
  }

  /** `ofEnded`: also ask a run that has ended how far its boots got (a replay on a worker: for one node, not for lists). */
  private async toStatus(uuid: string, d: Omit<WorkflowExecutionInfo, 'raw'>, baseUrl: string, ofEnded = false): Promise<StatusBody> {
    const running = d.status.name === 'RUNNING';
    let state = d.typedSearchAttributes.get(IntrospectionStateKey) ?? 'starting';
    let error: string | null = null;
    if (d.status.name === 'COMPLETED') state = 'finished';
    else if (!running) {
      state = 'error';
      error = await this.failureMessage(d);
    }
    const run = running || ofEnded ? await this.runStatus(d.workflowId, d.runId) : undefined;
    const detail = running ? run?.detail : undefined;
    return {
      ...(detail ? { detail } : {}),
      uuid,
      state,
      finished: !running,
      error,
      started_at: iso(d.startTime),
      finished_at: iso(d.closeTime),
      // A worker of the version before boot phases answers without them.
      ...(run?.bootPhases && d.type === 'introspectNode' ? bootPhaseFields(run.bootPhases, state) : {}),
      links: [{ href: `${baseUrl}/v1/introspection/${uuid}`, rel: 'self' }],
    };
  }

  private async runStatus(workflowId: string, runId: string): Promise<IntrospectionStatus | undefined> {
    try {
      return await this.client.workflow.getHandle(workflowId, runId).query(statusQuery);
    } catch {
      return undefined; // no worker answering right now: the state alone still says enough
    }
  }

  private async failureMessage(d: Omit<WorkflowExecutionInfo, 'raw'>): Promise<string> {
    if (d.status.name !== 'FAILED') return `introspection workflow ${d.status.name.toLowerCase().replace('_', ' ')}`;
    try {
      await this.client.workflow.getHandle(d.workflowId, d.runId).result();
      return 'unknown error';
    } catch (err) {
      if (err instanceof WorkflowFailedError) return err.cause?.message ?? err.message;
      throw err;
    }
  }
}

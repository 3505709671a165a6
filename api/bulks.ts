import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { z } from 'zod';
import type { BulkCounts } from '../common/api-types';
import { isBootPhase, type BootPhase, type FailuresByPhase } from '../common/boot-phases';
import type { Config } from '../common/config';
import { ConflictError, NotFoundError } from '../common/errors';
import { DEFAULT_JSON_LIMITS, type JsonLimits } from '../common/json-shape';
import type { NodeRegistry } from '../nodes';
import type { BulkNodeQuery, BulkNodeRecord, BulkRecord } from '../nodes/bulk-records';
import { UUID_RE } from '../nodes/schema';
import { bulkSummary, bulkWorkflowId, IntrospectionBulkKey, type BulkInput, type BulkSelector } from '../workflows/definitions';
import { bulkProgressQuery, type BulkProgress } from '../workflows/legacy/bulk-introspection-v1';

/**
 * The request body of a bulk start may be this large: the names it lists go to the registry,
 * never into the workflow's input, so their number is bounded by this alone (16 MB: about
 * 600,000 names of 20 characters).
 */
export const BULK_BODY_LIMIT = '16mb';
export const BULK_JSON_LIMITS: JsonLimits = { ...DEFAULT_JSON_LIMITS, maxArrayLength: 2_000_000 };

export const BulkRequestSchema = z
  .strictObject({
    nodes: z.array(z.string().min(1).max(255)).min(1).optional(),
    all_manageable: z.boolean().optional(),
    filters: z
      .strictObject({
        rack: z.string().min(1).max(255).optional(),
        resource_class: z.string().min(1).max(80).optional(),
        name_prefix: z.string().min(1).max(255).optional(),
      })
      .optional(),
    concurrency: z.number().int().min(1).max(1000).optional(),
    node_timeout: z.number().int().min(1).max(86400).optional(),
    boot_timeout: z.number().int().min(1).max(86400).optional(),
    boot_attempts: z.number().int().min(1).max(10).optional(),
    stagger: z.number().min(0).max(3600).optional(),
  })
  .refine((b) => [b.nodes, b.all_manageable, b.filters].filter((s) => s !== undefined && s !== false).length === 1, {
    message: 'give exactly one selector: nodes, all_manageable or filters',
    path: ['nodes'],
  });
export type BulkRequest = z.infer<typeof BulkRequestSchema>;

export interface BulkNodeBody {
  uuid: string;
  name: string | null;
  state: string;
  error: string | null;
  /** A running node: what its run is doing, and since when. */
  detail: string | null;
  /** A failed node: the phase its last boot stopped after. */
  boot_phase?: BootPhase | null;
  started_at: string | null;
  finished_at: string | null;
}

/** A bulk run as the API shows it: counts, and a page of its nodes. */
export interface BulkBody extends BulkCounts {
  bulk_id: string;
  state: string;
  /** Why a bulk is in state error: its workflow ended without finishing (terminated). */
  error?: string;
  started_at: string;
  finished_at: string | null;
  /** The failed nodes by the phase their last boot stopped after (`none`: never powered on, or not known). */
  failures_by_phase: FailuresByPhase;
  nodes: BulkNodeBody[];
}

export type BulkListEntry = Omit<BulkBody, 'nodes' | 'failures_by_phase'>;

/** What a running node's introspection says it is doing; its run's own status query says more, for one node. */
function runningDetail(n: BulkNodeRecord): string | null {
  if (n.run_state === 'waiting') return `waiting for agent, run started at ${n.run_started_at}`;
  if (n.run_state === 'processing') return `processing the agent's data, received at ${n.run_updated_at}`;
  return null;
}

const nodeBody = (n: BulkNodeRecord): BulkNodeBody => ({
  uuid: n.node_uuid,
  name: n.name,
  state: n.state,
  error: n.error,
  detail: n.state === 'running' ? runningDetail(n) : null,
  ...(n.state === 'failed' ? { boot_phase: isBootPhase(n.boot_phase) ? n.boot_phase : null } : {}),
  started_at: n.started_at,
  finished_at: n.finished_at,
});

const summaryOf = (bulk: BulkRecord, counts: BulkCounts): BulkListEntry => ({
  bulk_id: bulk.id,
  state: bulk.state,
  ...counts,
  started_at: bulk.started_at,
  finished_at: bulk.finished_at,
});

/** Starts, watches and aborts bulk introspections; their progress comes from the registry. */
export class Bulks {
  constructor(
    private readonly client: Client,
    private readonly registry: NodeRegistry,
    private readonly config: Config,
  ) {}

  async start(request: BulkRequest): Promise<string> {
    const bulkId = randomUUID();
    const selector: BulkSelector = {
      named: request.nodes?.length,
      allManageable: request.all_manageable,
      rack: request.filters?.rack,
      resourceClass: request.filters?.resource_class,
      namePrefix: request.filters?.name_prefix,
    };
    const input: BulkInput = {
      bulkId,
      selector,
      options: {
        concurrency: request.concurrency ?? this.config.BULK_CONCURRENCY,
        nodeTimeoutSeconds: request.node_timeout ?? this.config.INTROSPECTION_TIMEOUT,
        bootTimeoutSeconds: request.boot_timeout ?? this.config.INTROSPECTION_BOOT_TIMEOUT,
        bootAttempts: request.boot_attempts ?? this.config.INTROSPECTION_BOOT_ATTEMPTS,
        staggerSeconds: request.stagger ?? 0,
        continueAsNewAfter: this.config.BULK_CONTINUE_AS_NEW_AFTER,
      },
    };
    await this.registry.bulks.create(bulkId, selector, request.nodes);
    try {
      await this.client.workflow.start('bulkIntrospection', {
        workflowId: bulkWorkflowId(bulkId),
        taskQueue: this.config.TEMPORAL_TASK_QUEUE,
        args: [input],
        staticSummary: bulkSummary(selector),
        typedSearchAttributes: [{ key: IntrospectionBulkKey, value: bulkId }],
      });
    } catch (err) {
      await this.registry.bulks.delete(bulkId).catch(() => undefined);
      throw err;
    }
    return bulkId;
  }

  /** Counts and a page of nodes from the registry; Temporal is asked only whether a running bulk's workflow still runs. */
  async status(bulkId: string, query: BulkNodeQuery): Promise<BulkBody> {
    const bulk = UUID_RE.test(bulkId) ? await this.registry.bulks.get(bulkId) : undefined;
    if (!bulk) return this.legacyStatus(bulkId);
    const [counts, failures, nodes, ended] = await Promise.all([
      this.registry.bulks.counts([bulk]),
      this.registry.bulks.failuresByPhase(bulkId),
      this.registry.bulks.nodes(bulkId, query),
      bulk.state === 'running' ? this.endedWithoutFinishing(bulkId) : undefined,
    ]);
    return {
      ...summaryOf(bulk, counts.get(bulkId)!),
      ...(ended ? { state: 'error', error: ended } : {}),
      failures_by_phase: failures,
      nodes: nodes.map(nodeBody),
    };
  }

  /** Newest first. */
  async list(query: { marker?: string; limit: number }): Promise<BulkListEntry[]> {
    const bulks = await this.registry.bulks.list(query);
    const counts = await this.registry.bulks.counts(bulks);
    return bulks.map((b) => summaryOf(b, counts.get(b.id)!));
  }

  async abort(bulkId: string): Promise<void> {
    const handle = this.client.workflow.getHandle(bulkWorkflowId(bulkId));
    const description = await handle.describe().catch((err) => {
      if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`Bulk introspection ${bulkId} not found`);
      throw err;
    });
    if (description.status.name !== 'RUNNING') throw new ConflictError(`bulk introspection ${bulkId} is not running`);
    await handle.cancel();
  }

  /** Why a bulk the registry says is running is not: its workflow was terminated, or failed. */
  private async endedWithoutFinishing(bulkId: string): Promise<string | undefined> {
    try {
      const { status } = await this.client.workflow.getHandle(bulkWorkflowId(bulkId)).describe();
      return status.name === 'RUNNING' || status.name === 'COMPLETED' ? undefined : `its workflow ended ${status.name.toLowerCase().replace('_', ' ')}`;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 'its workflow is gone';
      throw err;
    }
  }

  /**
   * A bulk started before outcomes moved to the registry answers from its workflow (see
   * workflows/legacy/bulk-introspection-v1.ts): its result, or its progress query.
   */
  private async legacyStatus(bulkId: string): Promise<BulkBody> {
    const handle = this.client.workflow.getHandle(bulkWorkflowId(bulkId));
    const description = await handle.describe().catch((err) => {
      if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`Bulk introspection ${bulkId} not found`);
      throw err;
    });
    const p: BulkProgress = description.status.name === 'COMPLETED' ? await handle.result() : await handle.query(bulkProgressQuery);
    return {
      bulk_id: bulkId,
      state: p.state,
      total: p.total,
      pending: p.pending,
      running: p.running,
      finished: p.finished,
      failed: p.failed,
      skipped: p.skipped,
      started_at: p.startedAt,
      finished_at: p.finishedAt,
      failures_by_phase: p.failuresByPhase ?? {},
      nodes: p.nodes.map((n) => ({
        uuid: n.uuid,
        name: n.name,
        state: n.state,
        error: n.error,
        detail: null,
        ...(n.state === 'failed' ? { boot_phase: n.bootPhase ?? null } : {}),
        started_at: n.startedAt,
        finished_at: n.finishedAt,
      })),
    };
  }
}

import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { z } from 'zod';
import type { BulkCounts } from '../common/api-types';
import type { BootPhase, FailuresByPhase } from '../common/boot-phases';
import type { Config } from '../common/config';
import { ConflictError, NotFoundError } from '../common/errors';
import {
  bulkProgressQuery,
  bulkSummary,
  bulkWorkflowId,
  IntrospectionBulkKey,
  introspectionWorkflowId,
  statusQuery,
  type BulkInput,
  type BulkProgress,
} from '../workflows/definitions';

/**
 * The node list travels in the bulk workflow's input, and Temporal refuses payloads over 2 MB:
 * 5,000 names of up to 255 characters stay under 1.3 MB.
 */
export const MAX_BULK_NODES = 5000;

export const BulkRequestSchema = z
  .strictObject({
    nodes: z.array(z.string().min(1).max(255)).min(1).max(MAX_BULK_NODES).optional(),
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

/** A bulk run as the API shows it: counts, and one row per node that has started. */
export interface BulkBody extends BulkCounts {
  bulk_id: string;
  state: string;
  started_at: string;
  finished_at: string | null;
  /** The failed nodes by the phase their last boot stopped after (`none`: never powered on, or not known). */
  failures_by_phase: FailuresByPhase;
  nodes: {
    uuid: string;
    name: string | null;
    state: string;
    error: string | null;
    detail: string | null;
    /** A failed node: the phase its last boot stopped after. */
    boot_phase?: BootPhase | null;
    started_at: string | null;
    finished_at: string | null;
  }[];
}

/** Starts, watches and aborts bulk introspection workflows. */
export class Bulks {
  constructor(
    private readonly client: Client,
    private readonly config: Config,
  ) {}

  async start(request: BulkRequest): Promise<string> {
    const bulkId = randomUUID();
    const input: BulkInput = {
      bulkId,
      selector: {
        nodes: request.nodes,
        allManageable: request.all_manageable,
        rack: request.filters?.rack,
        resourceClass: request.filters?.resource_class,
        namePrefix: request.filters?.name_prefix,
      },
      options: {
        concurrency: request.concurrency ?? this.config.BULK_CONCURRENCY,
        nodeTimeoutSeconds: request.node_timeout ?? this.config.INTROSPECTION_TIMEOUT,
        bootTimeoutSeconds: request.boot_timeout ?? this.config.INTROSPECTION_BOOT_TIMEOUT,
        bootAttempts: request.boot_attempts ?? this.config.INTROSPECTION_BOOT_ATTEMPTS,
        staggerSeconds: request.stagger ?? 0,
        continueAsNewAfter: this.config.BULK_CONTINUE_AS_NEW_AFTER,
      },
    };
    await this.client.workflow.start('bulkIntrospection', {
      workflowId: bulkWorkflowId(bulkId),
      taskQueue: this.config.TEMPORAL_TASK_QUEUE,
      args: [input],
      staticSummary: bulkSummary(input.selector),
      typedSearchAttributes: [{ key: IntrospectionBulkKey, value: bulkId }],
    });
    return bulkId;
  }

  async status(bulkId: string): Promise<BulkBody> {
    const handle = this.client.workflow.getHandle(bulkWorkflowId(bulkId));
    const description = await handle.describe().catch((err) => {
      if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`Bulk introspection ${bulkId} not found`);
      throw err;
    });
    const progress = await this.progressOf(handle, description.status.name);
    const details = await Promise.all(
      progress.nodes.map((n) => (n.state === 'running' ? this.nodeDetail(n.uuid) : Promise.resolve(null))),
    );
    return {
      bulk_id: bulkId,
      state: progress.state,
      total: progress.total,
      pending: progress.pending,
      running: progress.running,
      finished: progress.finished,
      failed: progress.failed,
      skipped: progress.skipped,
      started_at: progress.startedAt,
      finished_at: progress.finishedAt,
      failures_by_phase: progress.failuresByPhase ?? {},
      nodes: progress.nodes.map((n, i) => ({
        uuid: n.uuid,
        name: n.name,
        state: n.state,
        error: n.error,
        detail: details[i],
        ...(n.state === 'failed' ? { boot_phase: n.bootPhase ?? null } : {}),
        started_at: n.startedAt,
        finished_at: n.finishedAt,
      })),
    };
  }

  async list(limit = 50): Promise<Omit<BulkBody, 'nodes' | 'pending' | 'running' | 'skipped' | 'failures_by_phase'>[]> {
    const out = [];
    for await (const execution of this.client.workflow.list({ query: `WorkflowType = 'bulkIntrospection'` })) {
      if (execution.status.name === 'CONTINUED_AS_NEW') continue; // an earlier run of a bulk listed by its latest
      const handle = this.client.workflow.getHandle(execution.workflowId, execution.runId);
      const progress = await this.progressOf(handle, execution.status.name).catch(() => undefined);
      out.push({
        bulk_id: execution.workflowId.replace(/^bulk-/, ''),
        state: progress?.state ?? execution.status.name.toLowerCase(),
        total: progress?.total ?? 0,
        finished: progress?.finished ?? 0,
        failed: progress?.failed ?? 0,
        started_at: progress?.startedAt ?? execution.startTime.toISOString(),
        finished_at: progress?.finishedAt ?? execution.closeTime?.toISOString() ?? null,
      });
      if (out.length >= limit) break;
    }
    return out;
  }

  /** A finished run's result, else what the running (or failed) run answers to the progress query. */
  private async progressOf(handle: WorkflowHandle, status: string): Promise<BulkProgress> {
    return status === 'COMPLETED' ? handle.result() : handle.query(bulkProgressQuery);
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

  /** What a running node's introspection is doing now, e.g. "waiting for agent, boot attempt 1/2, ...". */
  private async nodeDetail(nodeUuid: string): Promise<string | null> {
    try {
      return (await this.client.workflow.getHandle(introspectionWorkflowId(nodeUuid)).query(statusQuery)).detail;
    } catch {
      return null;
    }
  }
}

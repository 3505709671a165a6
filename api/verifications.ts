import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { Config } from '../common/config';
import type { NodeRecord, NodeRegistry } from '../nodes';
import { introspectionWorkflowId, runSummary, verificationWorkflowId } from '../workflows/definitions';

/** How long `manage` waits for the BMC check before answering 202 anyway (the check goes on). */
const VERIFY_WAIT_MS = 10000;

/** `manage`'s BMC checks as workflows, and nodes a restart left half-way put right. */
export class Verifications {
  constructor(
    private readonly client: Client,
    private readonly registry: NodeRegistry,
    private readonly config: Config,
  ) {}

  /** Starts the node's BMC check (one at a time per node) and waits a little for its outcome. */
  async start(nodeUuid: string, waitMs = VERIFY_WAIT_MS): Promise<void> {
    const node = await this.registry.getNodeOrThrow(nodeUuid);
    let handle;
    try {
      handle = await this.client.workflow.start('verifyBmc', {
        workflowId: verificationWorkflowId(nodeUuid),
        staticSummary: runSummary('verify BMC of', { ...node, rack: node.extra.rack }),
        taskQueue: this.config.TEMPORAL_TASK_QUEUE,
        args: [nodeUuid],
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return; // a check is running: it ends the verifying
      throw err;
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([handle.result().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
  }

  /**
   * A node left `verifying` or `inspecting` with no workflow running for it (the API stopped
   * between recording the step and starting its workflow) is checked again, or ends
   * `inspect failed` saying so. Runs when the API starts; a node that changed within the last
   * minute is left to whoever changed it (another API instance may be starting its workflow).
   */
  async reconcile(): Promise<void> {
    const settled = (node: NodeRecord) => Date.now() - Date.parse(node.provision_updated_at ?? node.created_at) > 60000;
    const running = async (workflowId: string) => {
      try {
        return (await this.client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
      } catch {
        return false;
      }
    };
    for (const node of await this.registry.listNodes({ provision_state: 'verifying' })) {
      if (settled(node) && !(await running(verificationWorkflowId(node.uuid)))) await this.start(node.uuid, 0);
    }
    for (const node of await this.registry.listNodes({ provision_state: 'inspecting' })) {
      if (!settled(node) || (await running(introspectionWorkflowId(node.uuid)))) continue;
      const error = 'the introspection ended without recording its outcome (the service stopped); start it again';
      await this.registry.runs.close(node.uuid);
      await this.registry.finishProvision(node.uuid, 'inspecting', { error });
      await this.registry.introspections.end(node.uuid, error);
    }
  }
}

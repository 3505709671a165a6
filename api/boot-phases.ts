import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { ReportedPhase } from '../common/boot-phases';
import { ConflictError, ForbiddenError } from '../common/errors';
import { log } from '../common/log';
import type { NodeRegistry } from '../nodes';
import { bootPhaseSignal, introspectionWorkflowId } from '../workflows/definitions';

// How far a node's boot got, told to its introspection run by a signal: the boot service's
// downloads (its script, kernel and ramdisk, named by the node's MAC) and the agent's start
// (named by the run's token). Only a node with an open run (introspection_runs) is told.

export class BootPhaseReports {
  constructor(
    private readonly client: Client,
    private readonly registry: NodeRegistry,
  ) {}

  /** A download for this MAC was served: told in the background, so that a download never waits on it or fails by it. */
  served(mac: string, phase: ReportedPhase): void {
    this.inBackground(phase, { mac }, async (at) => {
      const nodeUuid = await this.nodeWithOpenRun(mac);
      if (nodeUuid) await this.signal(nodeUuid, phase, at);
    });
  }

  /** The same for a download whose node (with an open run) is known already: the node's boot script. */
  servedTo(nodeUuid: string, phase: ReportedPhase): void {
    this.inBackground(phase, { nodeUuid }, (at) => this.signal(nodeUuid, phase, at));
  }

  /** The agent of the run with this token has started; answers its node. */
  async agentStarted(token: string | undefined): Promise<{ uuid: string }> {
    const nodeUuid = token ? await this.registry.runs.nodeOfToken(token) : undefined;
    if (!nodeUuid) throw new ForbiddenError('the run token is not that of any introspection in progress');
    try {
      await this.signal(nodeUuid, 'agent_started', new Date().toISOString());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new ConflictError('the introspection is no longer running');
      throw err;
    }
    return { uuid: nodeUuid };
  }

  private async nodeWithOpenRun(mac: string): Promise<string | undefined> {
    const [port] = await this.registry.listPorts(undefined, { address: mac, limit: 1 });
    return port && (await this.registry.runs.tokenOf(port.node_uuid)) ? port.node_uuid : undefined;
  }

  private inBackground(phase: ReportedPhase, about: Record<string, string>, tell: (at: string) => Promise<void>): void {
    tell(new Date().toISOString()).catch((err) => {
      // A run that ended since it was looked up has nothing to be told.
      if (!(err instanceof WorkflowNotFoundError)) log().warn({ err, ...about, phase }, 'telling a run how far its node got failed');
    });
  }

  private async signal(nodeUuid: string, phase: ReportedPhase, at: string): Promise<void> {
    await this.client.workflow.getHandle(introspectionWorkflowId(nodeUuid)).signal(bootPhaseSignal, { phase, at });
  }
}

import type { Client } from '@temporalio/client';
import type { ReportedPhase } from '../../common/boot-phases';
import { bootPhaseSignal, deliverDataUpdate, introspectionWorkflowId, statusQuery } from '../../workflows/definitions';
import type { MockActivities } from './time-skipping';

/**
 * What the API and the node do to a node's run in the workflow tests, and what its BMC was told
 * (the recorders' calls). `client` is read at each call: the environment starts in beforeAll.
 */
export function nodeRuns(client: () => Client, mocks: MockActivities) {
  const handle = (nodeUuid: string) => client().workflow.getHandle(introspectionWorkflowId(nodeUuid));
  return {
    handle,
    /** What the agent's post does: the API names the stored object in an Update. */
    deliver: (nodeUuid: string, objectName: string, logs?: boolean) => handle(nodeUuid).executeUpdate(deliverDataUpdate, { args: [{ objectName, logs }] }),
    /** What the boot service and the agent's start report do: the API signals the run. */
    reach: async (nodeUuid: string, ...phases: ReportedPhase[]) => {
      for (const phase of phases) await handle(nodeUuid).signal(bootPhaseSignal, { phase, at: new Date().toISOString() });
    },
    /** The node's run has powered it on and waits for its agent. */
    waiting: async (nodeUuid: string) => {
      const s = await handle(nodeUuid).query(statusQuery).catch(() => undefined);
      return s?.state === 'waiting' && s.poweredOnAt !== null;
    },
    /** The node's BMC calls that change its power, in order. */
    powerCalls: (nodeUuid: string) => mocks.names(nodeUuid).filter((n) => n === 'bootNode' || n === 'powerOffNode'),
    boots: (nodeUuid: string) => mocks.of(nodeUuid, 'bootNode').length,
  };
}

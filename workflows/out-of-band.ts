import { CancellationScope } from '@temporalio/workflow';
import { bmcActivities, localProcessingToTheEnd, localRegistry } from './activities';
import { reportToBulk } from './bulk-report';
import type { IntrospectionState, IntrospectionStatus, IntrospectNodeInput } from './definitions';
import { countEnd } from './run-metrics';

/** introspectNode's way to run one step: shown while it runs, and named in its error. */
export type Step = <T>(state: IntrospectionState, detail: string, run: () => Promise<T>) => Promise<T>;

/**
 * The rest of an introspection of a node inspected out-of-band (inspect_interface redfish), once
 * it is marked inspecting: its hardware is read from its BMC (no boot, its power left as it is,
 * as Ironic's redfish inspection does), then processed by the same hooks and rules as an agent's
 * data and stored under the same names. A failure is thrown to introspectNode, which records it
 * (with no power-off: the run manages no boot).
 */
export async function inspectOutOfBand(
  input: IntrospectNodeInput,
  status: IntrospectionStatus,
  step: Step,
  setState: (state: IntrospectionState, detail: string) => void,
): Promise<IntrospectionStatus> {
  const { nodeUuid, bulkId } = input;
  const inBulk = bulkId ? ([{ bulkId }] as const) : ([] as const);
  status.bootAttempts = 0;
  const objectName = await step('processing', 'reading the hardware from the BMC over Redfish (out-of-band, no boot)', () =>
    bmcActivities().readInventoryOutOfBand(nodeUuid),
  );
  await step('processing', 'running processing hooks and rules', () => localProcessingToTheEnd.processData(nodeUuid, objectName));
  await CancellationScope.nonCancellable(() =>
    step('processing', 'recording the outcome', () => localRegistry.markInspectionDone(nodeUuid, null, ...inBulk)),
  );
  status.finishedAt = new Date().toISOString();
  setState('finished', 'finished');
  countEnd(status, 'finished', 'none');
  await reportToBulk(input, 'finished');
  return status;
}

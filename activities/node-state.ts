import { ApplicationFailure } from '@temporalio/common';
import type { BootPhase } from '../common/boot-phases';
import { introspectionRefusal } from '../nodes/provision-states';
import type { NodeRecord } from '../nodes';
import type { PowerState } from './bmc';
import type { ActivityDeps } from './deps';
import { NODE_REFUSED } from '../workflows/definitions';
import { classified } from './failures';

/** The bulk run a node's run belongs to; a failed run adds the phase its last boot stopped after. */
export interface InBulk {
  bulkId: string;
  bootPhase?: BootPhase | null;
}

/** What markInspectionDone does (see there), for the activities that end a run as their last step. */
export async function endInspection(deps: ActivityDeps, nodeUuid: string, error: string | null, bulk?: InBulk): Promise<void> {
  await deps.registry.runs.close(nodeUuid);
  await deps.pxeFilter?.syncNode(nodeUuid);
  await deps.registry.finishProvision(nodeUuid, 'inspecting', { error });
  await deps.registry.introspections.end(nodeUuid, error);
  if (bulk) await deps.registry.bulks.nodeEnded(bulk.bulkId, nodeUuid, { state: error ? 'failed' : 'finished', error, bootPhase: error ? bulk.bootPhase : null });
}

export function nodeStateActivities(deps: ActivityDeps) {
  return {
    /**
     * Checks again, in the same write, that the node may be introspected (a queued node may have
     * been provided or put in maintenance since it was selected): a refused node is never touched.
     * Also opens the run: its fresh token reaches the ramdisk through the boot script, never
     * through Temporal. The PXE filter lets the node's MACs through before this returns: the
     * power-on comes next. The node's latest introspection (and its bulk's row) says waiting, or
     * error (skipped) when it was refused. `outOfBand`: the node is inspected from its BMC
     * (inspect_interface redfish), as it was when it was marked.
     */
    async markInspecting(nodeUuid: string, bulk?: InBulk): Promise<{ outOfBand: boolean; powerOff: boolean }> {
      return classified(async () => {
        const bulkId = bulk?.bulkId ?? null;
        let marked: NodeRecord;
        try {
          marked = await deps.registry.updateNode(nodeUuid, (node) => {
            const refusal = introspectionRefusal(node);
            if (refusal) throw ApplicationFailure.nonRetryable(refusal.message, NODE_REFUSED);
            return {
              provision_state: 'inspecting',
              target_provision_state: 'manageable',
              inspection_started_at: new Date().toISOString(),
              inspection_finished_at: null,
              last_error: null,
            };
          });
        } catch (err) {
          if (err instanceof ApplicationFailure && err.type === NODE_REFUSED) {
            await deps.registry.introspections.begin(nodeUuid, 'starting', bulkId);
            await deps.registry.introspections.end(nodeUuid, err.message);
            if (bulkId) await deps.registry.bulks.nodeEnded(bulkId, nodeUuid, { state: 'skipped', error: err.message });
          }
          throw err;
        }
        await deps.registry.runs.open(nodeUuid);
        await deps.registry.introspections.begin(nodeUuid, 'waiting', bulkId);
        if (bulkId) await deps.registry.bulks.nodeRunning(bulkId, nodeUuid);
        await deps.pxeFilter?.syncNode(nodeUuid);
        return { outOfBand: marked.inspect_interface === 'redfish', powerOff: deps.powerOffAfter };
      });
    },

    /**
     * Ends the node's inspection: its run takes no more data; manageable on success, `inspect
     * failed` with the error otherwise; a node whose provision state has moved on meanwhile is left alone.
     * The PXE filter ignores the node's MACs again. The outcome goes to the node's latest
     * introspection and its bulk's row.
     */
    async markInspectionDone(nodeUuid: string, error: string | null, bulk?: InBulk): Promise<void> {
      await classified(() => endInspection(deps, nodeUuid, error, bulk));
    },

    /**
     * Ends the processing of a discovered node's data: when, and its error if any. Its provision
     * state stays `enroll`: nothing has verified its BMC credentials yet.
     */
    async markDiscoveryDone(nodeUuid: string, error: string | null): Promise<void> {
      await classified(async () => {
        await deps.registry.updateNode(nodeUuid, () => ({ inspection_finished_at: new Date().toISOString(), last_error: error }));
        await deps.registry.introspections.end(nodeUuid, error);
      });
    },

    /** Ends `manage`'s check: manageable with the power state the BMC reported, or back to enroll with why. */
    async finishVerification(nodeUuid: string, outcome: { error: string | null; power_state?: string }): Promise<void> {
      await classified(() => deps.registry.finishProvision(nodeUuid, 'verifying', outcome));
    },

    /**
     * A power request over the node API (workflows/node-power.ts), as Ironic shows one: its target
     * while it runs, none at its end, and why it failed in last_error.
     */
    async setPowerTarget(nodeUuid: string, target: PowerState | null, error: string | null = null): Promise<void> {
      await classified(() => deps.registry.updateNode(nodeUuid, () => ({ target_power_state: target, ...(error ? { last_error: error } : {}) })));
    },
  };
}

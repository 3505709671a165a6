import type { ActivityDeps } from './deps';

export function nodeStateActivities(deps: ActivityDeps) {
  return {
    /** Also opens the run: its fresh token reaches the ramdisk through the boot script, never through Temporal. */
    async markInspecting(nodeUuid: string): Promise<void> {
      await deps.registry.updateNode(nodeUuid, () => ({
        provision_state: 'inspecting',
        target_provision_state: 'manageable',
        inspection_started_at: new Date().toISOString(),
        inspection_finished_at: null,
        last_error: null,
      }));
      await deps.registry.runs.open(nodeUuid);
    },

    /**
     * Ends the node's inspection: its run takes no more data; manageable on success, `inspect
     * failed` with the error otherwise; a node whose provision state has moved on meanwhile is left alone.
     */
    async markInspectionDone(nodeUuid: string, error: string | null): Promise<void> {
      await deps.registry.runs.close(nodeUuid);
      await deps.registry.finishProvision(nodeUuid, 'inspecting', { error });
    },
  };
}

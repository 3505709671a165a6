import type { ActivityDeps } from './deps';

export function nodeStateActivities(deps: ActivityDeps) {
  return {
    async markInspecting(nodeUuid: string): Promise<void> {
      await deps.registry.updateNode(nodeUuid, () => ({
        provision_state: 'inspecting',
        target_provision_state: 'manageable',
        inspection_started_at: new Date().toISOString(),
        inspection_finished_at: null,
        last_error: null,
      }));
    },

    /**
     * Ends the node's inspection: manageable on success, `inspect failed` with the error
     * otherwise; a node whose provision state has moved on meanwhile is left alone.
     */
    async markInspectionDone(nodeUuid: string, error: string | null): Promise<void> {
      await deps.registry.finishProvision(nodeUuid, 'inspecting', { error });
    },
  };
}

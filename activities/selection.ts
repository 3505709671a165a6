import type { BulkSelector } from '../workflows/definitions';
import type { ActivityDeps } from './deps';

export interface Selection {
  nodes: { uuid: string; name: string | null }[];
  /** Names or uuids in an explicit list that match no node. */
  missing: string[];
}

export function selectionActivities(deps: ActivityDeps) {
  return {
    /** The nodes a bulk run covers, in a stable order (explicit list order, else by name). */
    async selectNodes(selector: BulkSelector): Promise<Selection> {
      if (selector.nodes?.length) {
        const nodes: Selection['nodes'] = [];
        const missing: string[] = [];
        const seen = new Set<string>();
        for (const ident of selector.nodes) {
          const node = await deps.registry.getNode(ident);
          if (!node) missing.push(ident);
          else if (!seen.has(node.uuid)) {
            seen.add(node.uuid);
            nodes.push({ uuid: node.uuid, name: node.name });
          }
        }
        return { nodes, missing };
      }
      const all = await deps.registry.listNodes({
        provision_state: selector.allManageable ? 'manageable' : undefined,
        resource_class: selector.resourceClass,
        name_prefix: selector.namePrefix,
      });
      const nodes = all
        .filter((n) => selector.rack === undefined || n.extra.rack === selector.rack)
        .sort((a, b) => (a.name ?? a.uuid).localeCompare(b.name ?? b.uuid))
        .map((n) => ({ uuid: n.uuid, name: n.name }));
      return { nodes, missing: [] };
    },
  };
}

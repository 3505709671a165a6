import type { NodeRecord } from '../nodes';
import { introspectionRefusal } from '../nodes/provision-states';
import type { BulkSelector } from '../workflows/definitions';
import type { ActivityDeps } from './deps';

export interface Selection {
  nodes: { uuid: string; name: string | null }[];
  /** Names or uuids in an explicit list that match no node. */
  missing: string[];
  /** Nodes selected but not to be introspected, and why. */
  refused: { uuid: string; name: string | null; reason: string }[];
}

/** Splits matched nodes into those that may be introspected and those refused (available, in maintenance...). */
function screen(nodes: NodeRecord[]): Pick<Selection, 'nodes' | 'refused'> {
  const out: Pick<Selection, 'nodes' | 'refused'> = { nodes: [], refused: [] };
  for (const n of nodes) {
    const refusal = introspectionRefusal(n);
    if (refusal) out.refused.push({ uuid: n.uuid, name: n.name, reason: refusal.message });
    else out.nodes.push({ uuid: n.uuid, name: n.name });
  }
  return out;
}

export function selectionActivities(deps: ActivityDeps) {
  return {
    /** The nodes a bulk run covers, in a stable order (explicit list order, else by name). */
    async selectNodes(selector: BulkSelector): Promise<Selection> {
      if (selector.nodes?.length) {
        const found = new Map<string, NodeRecord>();
        const missing: string[] = [];
        for (const ident of selector.nodes) {
          const node = await deps.registry.getNode(ident);
          if (!node) missing.push(ident);
          else if (!found.has(node.uuid)) found.set(node.uuid, node);
        }
        return { ...screen([...found.values()]), missing };
      }
      const all = await deps.registry.listNodes({
        provision_state: selector.allManageable ? 'manageable' : undefined,
        resource_class: selector.resourceClass,
        name_prefix: selector.namePrefix,
      });
      const nodes = all
        .filter((n) => selector.rack === undefined || n.extra.rack === selector.rack)
        .sort((a, b) => (a.name ?? a.uuid).localeCompare(b.name ?? b.uuid));
      return { ...screen(nodes), missing: [] };
    },
  };
}

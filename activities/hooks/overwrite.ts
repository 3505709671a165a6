import { normalizeMac } from '../../common/mac';
import { parseCapabilities, serializeCapabilities } from './capabilities-string';
import type { HookNode, NodePatch } from './types';

// ironic-inspector's [processing]overwrite_existing=false, for every hook at once:
// introspection only fills what the node does not have yet. As there, a value the
// node "has" is one Python finds true: not absent, null, false, 0, '', [] or {}.
// Rules, which an operator writes on purpose, run after this and are not limited by it.

function isSet(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value !== null && typeof value === 'object') return Object.keys(value).length > 0;
  return Boolean(value);
}

function keepCapabilities(patch: NodePatch, node: HookNode): void {
  if (!('capabilities' in patch.properties)) return;
  const had = parseCapabilities(node.properties.capabilities);
  const merged = parseCapabilities(patch.properties.capabilities);
  for (const [key, value] of had) merged.set(key, value);
  patch.properties.capabilities = serializeCapabilities(merged);
}

/**
 * Takes out of `patch` what would overwrite the node's own values: properties it
 * has (capabilities key by key), and for its existing ports pxe_enabled, the
 * local_link_connection keys they have and a physical_network they have.
 */
export function keepExistingValues(patch: NodePatch, node: HookNode): void {
  keepCapabilities(patch, node);
  for (const key of Object.keys(patch.properties)) {
    if (key !== 'capabilities' && isSet(node.properties[key])) delete patch.properties[key];
  }
  for (const port of patch.ports) {
    const existing = node.ports.find((p) => normalizeMac(p.address) === port.address);
    if (!existing) continue;
    port.pxe_enabled = existing.pxe_enabled;
    if (port.local_link_connection) {
      const had = Object.entries(existing.local_link_connection ?? {}).filter(([, value]) => isSet(value));
      port.local_link_connection = { ...port.local_link_connection, ...Object.fromEntries(had) };
    }
    if (isSet(existing.physical_network)) delete port.physical_network;
  }
}

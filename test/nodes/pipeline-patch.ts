import type { NodePatch } from '../../activities/hooks/types';

/** A processing pipeline's patch for registry.applyPatch, empty but for `overrides`. */
export function pipelinePatch(overrides: Partial<NodePatch> = {}): NodePatch {
  return { properties: {}, extra: {}, ports: [], removePorts: [], addTraits: [], removeTraits: [], ...overrides };
}

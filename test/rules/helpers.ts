import { DEFAULT_PROCESSING_CONFIG } from '../../activities/hooks';
import type { HookContext, HookNode, NodePatch } from '../../activities/hooks/types';
import fixture from '../fixtures/rules/introspection-data.json';

export function makeCtx(opts: { data?: Record<string, unknown>; node?: Partial<HookNode>; patch?: Partial<NodePatch> } = {}): HookContext {
  const data = structuredClone(opts.data ?? fixture) as HookContext['data'];
  return {
    data,
    node: {
      uuid: '1be26c0b-03f2-4d2e-ae87-c02d7f33c123',
      name: 'node-1',
      properties: {},
      extra: {},
      traits: [],
      ports: [],
      ...opts.node,
    },
    patch: {
      properties: {},
      extra: {},
      ports: [],
      removePorts: [],
      addTraits: [],
      removeTraits: [],
      ...opts.patch,
    },
    objects: {},
    config: structuredClone(DEFAULT_PROCESSING_CONFIG),
  };
}

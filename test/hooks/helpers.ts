import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_PROCESSING_CONFIG, emptyPatch } from '../../activities/hooks';
import type { HookContext, HookNode, ProcessingConfig } from '../../activities/hooks/types';

export const GiB = 1024 ** 3;
export const NODE_UUID = '1be26c0b-03f2-4d2e-ae87-c02d7f33c123';

type Data = HookContext['data'];

/** The realistic IPA payload fixture, freshly parsed each call. */
export function loadPayload(): Data {
  const file = path.join(__dirname, '..', 'fixtures', 'hooks', 'ipa-payload.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Data;
}

export function makeNode(overrides: Partial<HookNode> = {}): HookNode {
  return { uuid: NODE_UUID, name: 'compute-0', properties: {}, extra: {}, traits: [], ports: [], ...overrides };
}

/** A minimal valid inventory; `inventory` keys override. */
export function makeData(inventory: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Data {
  return {
    inventory: {
      interfaces: [{ name: 'eth0', mac_address: '52:54:00:00:00:01', ipv4_address: '10.0.0.5' }],
      cpu: { count: 4, architecture: 'x86_64', flags: [] },
      memory: { total: 8 * GiB, physical_mb: 8192 },
      disks: [],
      ...inventory,
    },
    ...extra,
  } as Data;
}

export function makeCtx(
  data: Data,
  opts: { node?: Partial<HookNode>; config?: Partial<ProcessingConfig> } = {},
): HookContext {
  return {
    data,
    node: makeNode(opts.node),
    patch: emptyPatch(),
    objects: {},
    config: { ...DEFAULT_PROCESSING_CONFIG, ...opts.config },
  };
}

export const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');

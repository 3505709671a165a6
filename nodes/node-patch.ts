import { applyJsonPatch, pointerTokens, removalsAsDefaults, writableFieldOf, type JsonPatch, type JsonValue } from './json-patch';
import { parseInput } from '../common/validation';
import type { NodeChanges, NodeRecord } from './records';
import type { z } from 'zod';
import { driverInfoSchema, NodeUpdateSchema, type Driver, type JsonObject, type NodeUpdate } from './schema';
import { bmcMove, keepMaskedSecrets } from './secrets';

// An operator's PATCH of a node, as Ironic takes it: JSON Patch on the node's writable fields.

/** Writable fields and what `remove` of the whole field leaves (driver cannot be removed). */
const REMOVED: Record<keyof NodeUpdate, JsonValue | undefined> = {
  name: null,
  driver: undefined,
  driver_info: {},
  properties: {},
  extra: {},
  resource_class: null,
  maintenance: false,
  maintenance_reason: null,
  inspect_interface: 'agent',
};

/** Fields a node shows but an operator cannot patch, with where to change them instead. */
const READ_ONLY: Record<string, string> = {
  uuid: '',
  power_state: '',
  last_error: '',
  inspection_started_at: '',
  inspection_finished_at: '',
  provision_updated_at: '',
  created_at: '',
  updated_at: '',
  instance_uuid: '',
  traits: 'use PUT/DELETE /v1/nodes/<node>/traits',
  provision_state: 'use PUT /v1/nodes/<node>/states/provision',
  target_provision_state: 'use PUT /v1/nodes/<node>/states/provision',
};

const writableField = writableFieldOf<keyof NodeUpdate>('nodes', REMOVED, READ_ONLY);

/** driver_info keys the patch sets: /driver_info/<key> targets, and the members of a whole new driver_info. */
function givenKeys(patch: JsonPatch): Set<string> {
  const keys = new Set<string>();
  for (const op of patch) {
    if (op.op === 'remove') continue;
    const [field, key] = pointerTokens(op.path);
    if (field !== 'driver_info') continue;
    if (key !== undefined) keys.add(key);
    else if (op.value && typeof op.value === 'object' && !Array.isArray(op.value)) Object.keys(op.value).forEach((k) => keys.add(k));
  }
  return keys;
}

/**
 * The node's next driver_info, checked against the (new) driver's `schema`: its secrets kept,
 * given again or dropped (see keepMaskedSecrets); `given` are the keys the write sets.
 */
export function nextDriverInfo(
  node: NodeRecord,
  next: { driver: Driver; driver_info: JsonObject },
  given: ReadonlySet<string>,
  schema: z.ZodType<JsonObject> = driverInfoSchema(next.driver),
): JsonObject {
  const info = parseInput(schema, next.driver_info, 'driver_info');
  const moved = bmcMove(node, { driver: next.driver, driver_info: info });
  return parseInput(schema, keepMaskedSecrets(info, node.driver_info, { moved, given }), 'driver_info');
}

/**
 * The changes a JSON Patch makes to a node, validated: a 400 names the operation or field at
 * fault. Secrets written back as ****** keep their stored value, unless the patch points the
 * node at another BMC (see keepMaskedSecrets). Pure, so an optimistic writer can apply it again
 * to a fresher record.
 */
export function patchNode(node: NodeRecord, patch: JsonPatch): NodeChanges {
  const fields = patch.map((op) => writableField(op.path));
  const rewritten = removalsAsDefaults(patch, fields, REMOVED);
  const current: NodeUpdate = {
    name: node.name,
    driver: node.driver,
    driver_info: node.driver_info,
    properties: node.properties,
    extra: node.extra,
    resource_class: node.resource_class,
    maintenance: node.maintenance,
    maintenance_reason: node.maintenance_reason,
    inspect_interface: node.inspect_interface,
  };
  const next = parseInput(NodeUpdateSchema, applyJsonPatch(current, rewritten));
  const touchesBmc = fields.includes('driver_info') || fields.includes('driver');
  if (touchesBmc) next.driver_info = nextDriverInfo(node, next, givenKeys(patch));
  const changes: NodeChanges = {};
  for (const field of new Set(fields)) Object.assign(changes, { [field]: next[field] });
  if (touchesBmc) Object.assign(changes, { driver: next.driver, driver_info: next.driver_info });
  return changes;
}

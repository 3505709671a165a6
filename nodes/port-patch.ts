import type { z } from 'zod';
import { parseInput } from '../common/validation';
import { applyJsonPatch, removalsAsDefaults, writableFieldOf, type JsonPatch, type JsonValue } from './json-patch';
import type { PortRecord } from './records';
import { PortCreateSchema } from './schema';

// A PATCH of a port, as Ironic takes it (ironic-inspector's local_link_connection and
// validate_interfaces hooks send them): JSON Patch on the port's writable fields.

const PortUpdateSchema = PortCreateSchema.omit({ node_uuid: true }).required();
export type PortUpdate = z.infer<typeof PortUpdateSchema>;

/** Writable fields and what `remove` of the whole field leaves (undefined: cannot be removed). */
const REMOVED: Record<keyof PortUpdate, JsonValue | undefined> = {
  address: undefined,
  pxe_enabled: true,
  local_link_connection: {},
  physical_network: null,
  extra: {},
};

const READ_ONLY: Record<string, string> = {
  uuid: '',
  created_at: '',
  updated_at: '',
  node_uuid: 'delete the port and create it on the other node',
};

const writableField = writableFieldOf<keyof PortUpdate>('ports', REMOVED, READ_ONLY);

/** The port's writable fields after the patch, validated: a 400 names the operation or field at fault. Pure. */
export function patchPort(port: PortRecord, patch: JsonPatch): PortUpdate {
  const rewritten = removalsAsDefaults(patch, patch.map((op) => writableField(op.path)), REMOVED);
  const current: PortUpdate = {
    address: port.address,
    pxe_enabled: port.pxe_enabled,
    local_link_connection: port.local_link_connection,
    physical_network: port.physical_network,
    extra: port.extra,
  };
  return parseInput(PortUpdateSchema, applyJsonPatch(current, rewritten));
}

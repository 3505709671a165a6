import type { NodeRecord } from '../../nodes/records';

/** A registry record of a node, for unit tests of code that takes one (no database). */
export function nodeRecord(driver: NodeRecord['driver'], driver_info: Record<string, unknown>, fields: Partial<NodeRecord> = {}): NodeRecord {
  return {
    uuid: '3c1d9a53-0f5e-4d2a-8f47-6a3b2e1c0d44',
    name: 'rack4-u02',
    driver,
    driver_info,
    properties: {},
    extra: {},
    traits: [],
    resource_class: null,
    power_state: null,
    target_power_state: null,
    provision_state: 'manageable',
    target_provision_state: null,
    provision_updated_at: null,
    last_error: null,
    maintenance: false,
    maintenance_reason: null,
    inspection_started_at: null,
    inspection_finished_at: null,
    inspect_interface: 'agent',
    created_at: '2024-01-01T00:00:00.000Z',
    updated_at: null,
    ...fields,
  };
}

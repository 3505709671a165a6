import type { Generated } from 'kysely';

// JSON columns are TEXT on both SQLite and PostgreSQL so one code path serves both.
export interface NodesTable {
  uuid: string;
  name: string | null;
  driver: string;
  driver_info: string;
  bmc_address: string | null;
  properties: string;
  extra: string;
  traits: string;
  resource_class: string | null;
  power_state: string | null;
  provision_state: string;
  target_provision_state: string | null;
  /** When provision_state last changed (migration 0002). */
  provision_updated_at: string | null;
  last_error: string | null;
  maintenance: number;
  /** Why the node is in maintenance (migration 0002). */
  maintenance_reason: string | null;
  inspection_started_at: string | null;
  inspection_finished_at: string | null;
  created_at: string;
  updated_at: string | null;
  /** Bumped on every write; writers retry when it moved under them (optimistic locking). */
  version: Generated<number>;
}

export interface PortsTable {
  uuid: string;
  node_uuid: string;
  address: string;
  pxe_enabled: number;
  local_link_connection: string;
  physical_network: string | null;
  created_at: string;
  updated_at: string | null;
}

export interface RulesTable {
  uuid: string;
  description: string | null;
  body: string;
  created_at: string;
}

/** A node's introspection that may receive the agent's data: open from `inspecting` until done (migration 0003). */
export interface IntrospectionRunsTable {
  node_uuid: string;
  /** The run's callback token: it reaches the ramdisk on its kernel command line and comes back with the data. */
  token: string;
  opened_at: string;
}

export interface Database {
  nodes: NodesTable;
  ports: PortsTable;
  rules: RulesTable;
  introspection_runs: IntrospectionRunsTable;
}

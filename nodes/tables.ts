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
  /** The power state a power request is taking the node to (migration 0005). */
  target_power_state: string | null;
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
  /** agent or redfish: how the node is inspected (migration 0007). */
  inspect_interface: string;
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
  /** Ironic's free-form port `extra`, JSON (migration 0005; '{}' unless given). */
  extra: Generated<string>;
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

/** Each node's latest introspection, as `GET /v1/introspection` lists it (migration 0004). */
export interface IntrospectionsTable {
  node_uuid: string;
  /** starting, waiting, processing, reapplying, finished or error (ironic-inspector's states). */
  state: string;
  error: string | null;
  /** The bulk run that started it, if one did. */
  bulk_id: string | null;
  started_at: string;
  finished_at: string | null;
  /** When the state last changed. */
  updated_at: string;
}

/** A bulk introspection: what it selects and how far its selection got (migration 0004). */
export interface BulksTable {
  id: string;
  /** The selector as JSON; named nodes wait in bulk_names until selected. */
  selector: string;
  /** The nodes it covers: counted when the selection starts, exact once it ends. */
  total: number | null;
  /** The seq of the next row of bulk_nodes. */
  next_seq: number;
  /** Selection by filters: the last node uuid looked at. */
  select_after: string | null;
  select_done: number;
  /** running, finished or aborted. */
  state: string;
  started_at: string;
  finished_at: string | null;
}

/** The names or uuids a bulk was given, until its selection takes them (migration 0004). */
export interface BulkNamesTable {
  bulk_id: string;
  seq: number;
  ident: string;
}

/** One node of a bulk run and its outcome, in selection order (migration 0004). */
export interface BulkNodesTable {
  bulk_id: string;
  seq: number;
  /** The node's uuid; for a name that matched no node, the name. */
  node_uuid: string;
  name: string | null;
  /** pending, running, finished, failed or skipped. */
  state: string;
  error: string | null;
  /** A failed node: the phase its last boot stopped after. */
  boot_phase: string | null;
  started_at: string | null;
  finished_at: string | null;
}

/** Ironic's inspection rules (API 1.96), the built-in ones (from INSPECTION_RULES_FILE) too (migration 0007). */
export interface InspectionRulesTable {
  uuid: string;
  description: string | null;
  priority: number;
  /** 1: conditions and actions are never shown. */
  sensitive: number;
  phase: string;
  /** JSON lists. */
  conditions: string;
  actions: string;
  /** 1: loaded from the file, read-only through the API. */
  built_in: number;
  created_at: string;
  updated_at: string | null;
}

/** Each processed node's fleet view, JSON, and its indexed scalars (migration 0010; nodes/fleet.ts). */
export interface FleetViewsTable {
  node_uuid: string;
  view: string;
  memory_mb: number | null;
  cpu_count: number | null;
  cpu_model_name: string | null;
  disk_count: number;
  interface_count: number;
  updated_at: string;
}

/** Every accepted introspection of a node: where its data is kept and what it was (migration 0008; nodes/history.ts). */
export interface IntrospectionHistoryTable {
  node_uuid: string;
  /** 1, 2, 3...: the node's introspections in the order they were stored. */
  id: number;
  /** The workflow run that stored it: names its objects (activities/storage.ts), and a retried store is the same entry. */
  run_id: string;
  /** introspection, out-of-band, discovery or reapply. */
  source: string;
  bulk_id: string | null;
  started_at: string;
  finished_at: string;
  /** SHA-256 (hex) of the processed data object's bytes. */
  sha256: string;
  processed_bytes: number;
  unprocessed_bytes: number;
}

/** A node's acceptance against what was ordered, one row per introspection (migration 0009; nodes/acceptance.ts). */
export interface AcceptanceTable {
  node_uuid: string;
  /** The introspection checked: its start (introspections.started_at). */
  started_at: string;
  bulk_id: string | null;
  rack: string | null;
  /** pass, fail or not_checked. */
  status: string;
  profile: string | null;
  /** JSON lists: AcceptanceDifference[], Miscabling[]. */
  differences: string;
  miscabled: string;
  checked_at: string;
}

export interface Database {
  nodes: NodesTable;
  ports: PortsTable;
  rules: RulesTable;
  introspection_runs: IntrospectionRunsTable;
  introspections: IntrospectionsTable;
  bulks: BulksTable;
  bulk_names: BulkNamesTable;
  bulk_nodes: BulkNodesTable;
  inspection_rules: InspectionRulesTable;
  acceptance: AcceptanceTable;
  introspection_history: IntrospectionHistoryTable;
  fleet_views: FleetViewsTable;
}

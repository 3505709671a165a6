// A node's acceptance: how its introspected hardware compares with its profile and its cabling plan.
// Stored in the processed data (`acceptance`) and in the registry (nodes/acceptance.ts).

/** One way the node is not as ordered: `field` e.g. `memory.mib`, `disks[/dev/sdb].type`, `nics[eth1].cabling`. */
export interface AcceptanceDifference {
  field: string;
  expected: string;
  actual: string;
}

/** A NIC whose LLDP neighbour is not the planned switch and port. */
export interface Miscabling {
  nic: string;
  expected_switch: string;
  expected_port: string;
  /** What LLDP showed: null when the NIC saw no LLDP neighbour. */
  seen_switch: string | null;
  seen_port: string | null;
}

export type AcceptanceStatus = 'pass' | 'fail' | 'not_checked';

export interface AcceptanceResult {
  status: AcceptanceStatus;
  /** The profile applied, null when none matched. */
  profile: string | null;
  /** The planned cables checked (0: the node has no row in the plan). */
  planned_ports: number;
  rack: string | null;
  differences: AcceptanceDifference[];
  miscabled: Miscabling[];
}

/** One rack of a bulk run's acceptance report (GET /v1/introspection/bulk/<id>/report). */
export interface RackReport {
  /** extra.rack of the nodes; null for nodes without one. */
  rack: string | null;
  conforming: number;
  not_conforming: number;
  not_checked: number;
  failed_introspection: number;
  /** Skipped by the bulk, or not yet done. */
  skipped: number;
  in_progress: number;
  non_conforming_nodes: { uuid: string; name: string | null; profile: string | null; differences: AcceptanceDifference[] }[];
  failed_nodes: { uuid: string; name: string | null; error: string | null }[];
  miscabled_ports: (Miscabling & { uuid: string; name: string | null })[];
}

export interface AcceptanceReport {
  bulk_id: string;
  state: string;
  racks: RackReport[];
}

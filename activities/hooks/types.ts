import type { IntrospectionData } from '../../common/inventory';
import type { CablingRow } from './acceptance-cabling';
import type { AcceptanceProfile } from './acceptance-profiles';

/** What the pipeline knows of the node (never its BMC secrets). */
export interface HookNode {
  uuid: string;
  name: string | null;
  properties: Record<string, unknown>;
  extra: Record<string, unknown>;
  traits: string[];
  ports: PortSpec[];
  /** The processed data stored by the node's previous introspection (`inspector_data-<uuid>`), if any. */
  previousData?: unknown;
  /** The node's resource class (the acceptance hook picks a profile by it). */
  resource_class?: string | null;
}

export interface PortSpec {
  address: string; // MAC, lower-case colon form
  pxe_enabled: boolean;
  local_link_connection?: Record<string, string>;
  physical_network?: string | null;
}

/** The changes the pipeline wants applied to the node record, applied in one transaction. */
export interface NodePatch {
  properties: Record<string, unknown>;
  /** Keys to set; a key set to undefined is removed from the node's extra (JSON drops it when stored). */
  extra: Record<string, unknown>;
  /** Ports to create or update (matched by address). */
  ports: PortSpec[];
  /** MAC addresses of ports to delete. */
  removePorts: string[];
  addTraits: string[];
  removeTraits: string[];
  /** driver_info keys rules set (a discovered node's BMC credentials); absent: driver_info is left alone. */
  driverInfo?: Record<string, unknown>;
}

export interface ProcessingConfig {
  addPorts: 'all' | 'active' | 'pxe' | 'disabled';
  keepPorts: 'all' | 'present' | 'added';
  /** PCI aliases counted by pci_devices, e.g. {vendor_id:'10de', product_id:'1eb8', name:'gpu_t4'}. */
  pciAliases: { vendor_id: string; product_id: string; name: string }[];
  /** Smallest disk considered for root, in GiB (ironic-inspector: 4). */
  minRootDiskGiB: number;
  /** ironic-inspector's [processing]overwrite_existing: false keeps properties, capabilities and port physical networks the node already has. */
  overwriteExisting: boolean;
  /** CPU flag → capability set to `true` by the capabilities hook ([capabilities]cpu_flags). */
  cpuFlags: Record<string, string>;
  /** Port physical network by the CIDR holding the interface's IP, first match wins ([port_physnet]cidr_map). */
  physnetCidrMap: { cidr: string; physnet: string }[];
  /** PCI devices that are accelerators ([accelerators]known_devices): ids in bare lower-case hex, other keys as given. */
  accelerators: KnownAccelerator[];
  /** What was ordered (ACCEPTANCE_PROFILES_DIR, CABLING_PLAN_FILE), for the acceptance hook. */
  acceptance: { profiles: AcceptanceProfile[]; cabling: CablingRow[] };
}

export interface KnownAccelerator {
  vendor_id: string;
  device_id: string;
  [key: string]: unknown;
}

/**
 * The mutable state one pipeline run works on. `data` starts as the raw agent data
 * and becomes the processed data stored as `inspector_data-<uuid>`.
 */
export interface HookContext {
  data: IntrospectionData & Record<string, unknown>;
  node: HookNode;
  patch: NodePatch;
  /** Extra objects to store next to the data, by object name (e.g. `extra_hardware-<uuid>`). */
  objects: Record<string, unknown>;
  config: ProcessingConfig;
}

/** One processing hook, as ironic-inspector's: before_processing runs on the data, before_update decides node changes. */
export interface ProcessingHook {
  name: string;
  beforeProcessing?(ctx: HookContext): void;
  beforeUpdate?(ctx: HookContext): void;
}

/** Thrown by a hook to end the introspection with a message; the pipeline prefixes the hook name. */
export class HookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HookError';
  }
}

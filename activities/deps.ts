import type { NodeRegistry } from '../nodes';
import type { PxeFilter } from '../pxe/filter';
import type { BmcSettings } from './bmc';
import type { ProcessingSettings } from './hooks/settings';
import type { ObjectStore } from './storage';

/** What the activities work with; built once per worker process. */
export interface ActivityDeps {
  registry: NodeRegistry;
  store: ObjectStore;
  bmc: BmcSettings;
  processing: ProcessingSettings;
  /** Power a server off when its introspection ends (false: leave it as the run left it). */
  powerOffAfter: boolean;
  /** How many introspections each node's history keeps (HISTORY_KEEP; 0: all). */
  historyKeep: number;
  /** The dnsmasq PXE filter, when a hostsdir is configured. */
  pxeFilter: PxeFilter | null;
}

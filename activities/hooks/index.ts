import type { IntrospectionData } from '../../common/inventory';
import { hookDurations } from '../../common/metrics';
import { acceleratorsHook, KNOWN_ACCELERATORS } from './accelerators';
import { acceptanceHook } from './acceptance';
import { capabilitiesHook, CPU_FLAG_CAPABILITIES } from './capabilities';
import { extraHardwareHook } from './extra_hardware';
import { hardwareChangesHook } from './hardware_changes';
import { lldpBasicHook } from './lldp_basic';
import { localLinkConnectionHook } from './local_link_connection';
import { keepExistingValues } from './overwrite';
import { pciDevicesHook } from './pci_devices';
import { physnetCidrMapHook } from './physnet_cidr_map';
import { raidDeviceHook } from './raid_device';
import { ramdiskErrorHook } from './ramdisk_error';
import { rootDiskSelectionHook } from './root_disk_selection';
import { schedulerHook } from './scheduler';
import {
  HookError,
  type HookContext,
  type HookNode,
  type NodePatch,
  type ProcessingConfig,
  type ProcessingHook,
} from './types';
import { validateInterfacesHook } from './validate_interfaces';

export { HookError } from './types';
export type { HookContext, HookNode, NodePatch, PortSpec, ProcessingConfig, ProcessingHook } from './types';

/** Every known hook, by name. Adding a hook: its module + one line here (+ DEFAULT_HOOK_ORDER if default). */
export const HOOKS: Record<string, ProcessingHook> = Object.fromEntries(
  [
    ramdiskErrorHook,
    rootDiskSelectionHook,
    schedulerHook,
    validateInterfacesHook,
    capabilitiesHook,
    pciDevicesHook,
    extraHardwareHook,
    lldpBasicHook,
    localLinkConnectionHook,
    physnetCidrMapHook,
    raidDeviceHook,
    acceleratorsHook,
    hardwareChangesHook,
    acceptanceHook,
  ].map((hook) => [hook.name, hook]),
);

/**
 * ironic-inspector's default chain (ramdisk_error, root_disk_selection, scheduler,
 * validate_interfaces, capabilities, pci_devices) followed by the optional hooks.
 * Constraints: root_disk_selection before scheduler (local_gb comes from
 * data.root_disk); validate_interfaces before lldp_basic and local_link_connection
 * (all_interfaces, patch.ports); those two decode the TLVs each (lldp_raw first), in
 * either order. capabilities and pci_devices both merge through
 * mergeCapabilities, so their order only decides the key order of the string.
 * Optional hooks, not in this list: raid_device goes before root_disk_selection
 * (which then uses the root_device it learns), physnet_cidr_map after
 * validate_interfaces (all_interfaces, patch.ports), accelerators anywhere.
 * acceptance goes after extra_hardware and lldp_basic (data.extra's BMC firmware, lldp_processed).
 */
export const DEFAULT_HOOK_ORDER: string[] = [
  'ramdisk_error',
  'root_disk_selection',
  'scheduler',
  'validate_interfaces',
  'capabilities',
  'pci_devices',
  'extra_hardware',
  'lldp_basic',
  'local_link_connection',
  'hardware_changes',
  'acceptance',
];

/**
 * ironic-inspector's defaults: add_ports=pxe, keep_ports=all, no PCI aliases, 4 GiB minimum root disk,
 * overwrite_existing=true, its CPU flag map, no CIDR → physnet map, its known accelerators.
 */
export const DEFAULT_PROCESSING_CONFIG: ProcessingConfig = {
  addPorts: 'pxe',
  keepPorts: 'all',
  pciAliases: [],
  minRootDiskGiB: 4,
  overwriteExisting: true,
  cpuFlags: CPU_FLAG_CAPABILITIES,
  physnetCidrMap: [],
  accelerators: KNOWN_ACCELERATORS,
  acceptance: { profiles: [], cabling: [] },
};

export function emptyPatch(): NodePatch {
  return { properties: {}, extra: {}, ports: [], removePorts: [], addTraits: [], removeTraits: [] };
}

export interface PipelineResult {
  /** The processed data (to store as `inspector_data-<uuid>`). */
  data: HookContext['data'];
  patch: NodePatch;
  /** Extra objects to store, by name. */
  objects: Record<string, unknown>;
}

/**
 * Runs the hooks: every beforeProcessing in order, then every beforeUpdate in order; with
 * config.overwriteExisting false, what the node already has is then taken out of the patch.
 * Pure but for its timing metrics: the inputs are deep-copied and never modified. Any error a hook throws
 * becomes a HookError `hook <name>: <message>`; an unknown hook name in `order`
 * is an Error raised before any hook runs.
 */
export function runPipeline(
  data: IntrospectionData & Record<string, unknown>,
  node: HookNode,
  config: ProcessingConfig,
  order: string[] = DEFAULT_HOOK_ORDER,
): PipelineResult {
  const hooks = order.map((name) => {
    const hook = Object.prototype.hasOwnProperty.call(HOOKS, name) ? HOOKS[name] : undefined;
    if (!hook) throw new Error(`Unknown processing hook "${name}" (known: ${Object.keys(HOOKS).join(', ')})`);
    return hook;
  });

  const ctx: HookContext = {
    data: structuredClone(data),
    node: structuredClone(node),
    patch: emptyPatch(),
    objects: {},
    config: structuredClone(config),
  };

  const run = (hook: ProcessingHook, phase: 'beforeProcessing' | 'beforeUpdate') => {
    const fn = hook[phase];
    if (!fn) return;
    const end = hookDurations.startTimer({ hook: hook.name, stage: phase });
    try {
      fn.call(hook, ctx);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const wrapped = new HookError(`hook ${hook.name}: ${message}`);
      wrapped.cause = e;
      throw wrapped;
    } finally {
      end();
    }
  };
  for (const hook of hooks) run(hook, 'beforeProcessing');
  for (const hook of hooks) run(hook, 'beforeUpdate');
  if (!ctx.config.overwriteExisting) keepExistingValues(ctx.patch, ctx.node);

  return { data: ctx.data, patch: ctx.patch, objects: ctx.objects };
}

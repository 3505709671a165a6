import type { BootDevice } from '../activities/bmc';

// Names shared by the node-power workflow and the API that starts it: no workflow logic.

/** The power targets Introspector's BMC drivers carry out (no soft power off: IPMI and Redfish both lack a confirmed one here). */
export const POWER_TARGETS = ['power on', 'power off', 'rebooting'] as const;
export type PowerTarget = (typeof POWER_TARGETS)[number];

/** The boot devices every driver sets, for the next boot only. */
export const BOOT_DEVICES = ['pxe', 'disk'] as const satisfies readonly BootDevice[];

export type NodePowerRequest = { power: PowerTarget } | { bootDevice: BootDevice };

export interface NodePowerOutcome {
  error: string | null;
}

/** One power or boot-device request at a time per node. */
export const nodePowerWorkflowId = (nodeUuid: string) => `power-${nodeUuid}`;

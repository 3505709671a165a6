import { z } from 'zod';
import { InvalidInputError } from '../common/errors';

// Ironic's provision state machine, the part that enrolling and inspecting use:
//
//   enroll --manage--> verifying --(BMC answers)--> manageable
//                                --(BMC fails)----> enroll, with last_error
//   manageable --inspect--> inspecting --> manageable | inspect failed
//   inspect failed --inspect--> inspecting;  inspect failed --manage--> manageable
//   manageable --provide--> available;  available --manage--> manageable

export const PROVISION_STATES = ['enroll', 'verifying', 'manageable', 'inspecting', 'inspect failed', 'available'] as const;
export const ProvisionStateSchema = z.enum(PROVISION_STATES);
export type ProvisionState = z.infer<typeof ProvisionStateSchema>;

/** States from which introspection may start (ironic-inspector's): never a node that is available or deployed. */
export const INTROSPECTABLE_STATES: readonly string[] = ['enroll', 'manageable', 'inspecting', 'inspect failed'];

export interface IntrospectionRefusal {
  kind: 'maintenance' | 'state';
  message: string;
}

/**
 * Why this node may not be introspected now, or null: the one rule for the API, bulk
 * selection and the run itself (which checks again when it starts, however long it queued).
 */
export function introspectionRefusal(node: { provision_state: string; maintenance: boolean }): IntrospectionRefusal | null {
  if (node.maintenance) return { kind: 'maintenance', message: 'the node is in maintenance mode' };
  if (INTROSPECTABLE_STATES.includes(node.provision_state)) return null;
  return {
    kind: 'state',
    message: `Invalid provision state for introspection: "${node.provision_state}", valid states are "${INTROSPECTABLE_STATES.join('", "')}"`,
  };
}

export const PROVISION_TARGETS = ['manage', 'provide', 'inspect'] as const;
export const ProvisionTargetSchema = z.enum(PROVISION_TARGETS);
export type ProvisionTarget = z.infer<typeof ProvisionTargetSchema>;

/** The body of PUT /v1/nodes/<id>/states/provision. */
export const ProvisionRequestSchema = z.strictObject({ target: ProvisionTargetSchema });

export interface ProvisionStep {
  provision_state: ProvisionState;
  target_provision_state: ProvisionState | null;
}

const verifying: ProvisionStep = { provision_state: 'verifying', target_provision_state: 'manageable' };
const inspecting: ProvisionStep = { provision_state: 'inspecting', target_provision_state: 'manageable' };
const settled = (state: ProvisionState): ProvisionStep => ({ provision_state: state, target_provision_state: null });

const TRANSITIONS: Record<ProvisionTarget, Partial<Record<ProvisionState, ProvisionStep>>> = {
  manage: {
    enroll: verifying,
    // A verification cut short (the API restarted mid-way) can be started again.
    verifying,
    'inspect failed': settled('manageable'),
    available: settled('manageable'),
  },
  provide: { manageable: settled('available') },
  inspect: { manageable: inspecting, 'inspect failed': inspecting },
};

/** Where the asynchronous states end, on success and on failure. */
export const OUTCOMES = {
  verifying: { success: 'manageable', failure: 'enroll' },
  inspecting: { success: 'manageable', failure: 'inspect failed' },
} as const satisfies Record<string, { success: ProvisionState; failure: ProvisionState }>;
export type TransientState = keyof typeof OUTCOMES;

/** True while an asynchronous step runs: the node cannot be deleted then (unless in maintenance). */
export function isTransient(state: string): state is TransientState {
  return Object.prototype.hasOwnProperty.call(OUTCOMES, state);
}

/** Targets that may be requested from a state. */
export function allowedTargets(state: string): ProvisionTarget[] {
  return PROVISION_TARGETS.filter((target) => TRANSITIONS[target][state as ProvisionState]);
}

/** The step that `target` starts from `state`, or a 400 that names the targets allowed there. */
export function nextStep(nodeUuid: string, state: string, target: ProvisionTarget): ProvisionStep {
  const step = TRANSITIONS[target][state as ProvisionState];
  if (step) return step;
  const allowed = allowedTargets(state);
  throw new InvalidInputError(
    `The requested action "${target}" can not be performed on node "${nodeUuid}" while it is in state "${state}"; ` +
      (allowed.length ? `allowed actions from "${state}": ${allowed.join(', ')}` : `no action is allowed from "${state}"`),
  );
}

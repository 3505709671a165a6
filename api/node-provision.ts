import { InvalidInputError } from '../common/errors';
import type { NodeRecord, NodeRegistry } from '../nodes';
import type { ProvisionTarget } from '../nodes/provision-states';

// Provision actions requested over the node API: manage (verify the BMC), provide, inspect.
// This process runs no BMC command: verification and inspection are workflows.

export interface ProvisioningOptions {
  /**
   * Starts `manage`'s BMC check of a node the API has just moved to `verifying` (wired to the
   * verification workflow) and resolves when it has ended or after a short wait. Without it,
   * `manage` is refused.
   */
  startVerification?: (nodeUuid: string) => Promise<void>;
  /**
   * Starts introspection of a node the API has just moved to `inspecting` (wired to the
   * introspection workflow). Without it, `inspect` is refused.
   */
  startInspection?: (nodeUuid: string) => Promise<void>;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The handler of PUT /v1/nodes/<node>/states/provision: moves the node on and starts what the target needs. */
export function provisioning(registry: NodeRegistry, options: ProvisioningOptions = {}) {
  const started = { verifying: options.startVerification, inspecting: options.startInspection };
  return async function requestProvision(ident: string, target: ProvisionTarget): Promise<NodeRecord> {
    if (target === 'inspect' && !started.inspecting) throw new InvalidInputError('target: "inspect" is not available: this API runs without introspection');
    if (target === 'manage' && !started.verifying) throw new InvalidInputError('target: "manage" is not available: this API runs without BMC verification');
    const node = await registry.beginProvision(ident, target);
    const state = node.provision_state;
    if (state === 'verifying' || state === 'inspecting') {
      try {
        await started[state]!(node.uuid);
      } catch (err) {
        const what = state === 'verifying' ? 'the BMC check' : 'inspection';
        await registry.finishProvision(node.uuid, state, { error: `Failed to start ${what}: ${messageOf(err)}` });
        throw err;
      }
    }
    return node;
  };
}

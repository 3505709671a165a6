import { bmcFor, type BmcSettings } from '../activities/bmc';
import { InvalidInputError } from '../common/errors';
import type { NodeRecord, NodeRegistry } from '../nodes';
import type { ProvisionTarget } from '../nodes/provision-states';

// Provision actions requested over the node API: manage (verify the BMC), provide, inspect.

export interface ProvisioningOptions {
  /** BMC settings for `manage`'s power-status check; defaults to ipmitool on PATH with cipher suite 3. */
  bmc?: BmcSettings;
  /**
   * Starts introspection of a node the API has just moved to `inspecting` (wired to the
   * introspection workflow). Without it, `inspect` is refused.
   */
  startInspection?: (nodeUuid: string) => Promise<void>;
  /** How long the `manage` request waits for the BMC check before answering 202 anyway (it goes on). */
  verifyWaitMs?: number;
}

const DEFAULT_BMC: BmcSettings = { defaultCipherSuite: 3 };
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Asks the BMC for its power state with the stored credentials; the node ends manageable, or back in enroll with the reason. */
async function verifyBmc(registry: NodeRegistry, node: NodeRecord, settings: BmcSettings): Promise<void> {
  let outcome: { error: string | null; power_state?: string };
  try {
    outcome = { error: null, power_state: await bmcFor(node, settings).powerStatus() };
  } catch (err) {
    outcome = { error: `Failed to verify the BMC credentials with a power status call: ${messageOf(err)}` };
  }
  try {
    await registry.finishProvision(node.uuid, 'verifying', outcome);
  } catch (err) {
    console.error(`node ${node.uuid}: recording the BMC check failed: ${messageOf(err)}`);
  }
}

/** The handler of PUT /v1/nodes/<node>/states/provision: moves the node on and starts what the target needs. */
export function provisioning(registry: NodeRegistry, options: ProvisioningOptions = {}) {
  const { startInspection, bmc = DEFAULT_BMC, verifyWaitMs = 10000 } = options;
  return async function requestProvision(ident: string, target: ProvisionTarget): Promise<NodeRecord> {
    if (target === 'inspect' && !startInspection) throw new InvalidInputError('target: "inspect" is not available: this API runs without introspection');
    const node = await registry.beginProvision(ident, target);
    if (node.provision_state === 'verifying') {
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, verifyWaitMs)));
      await Promise.race([verifyBmc(registry, node, bmc), waited]);
      clearTimeout(timer);
    }
    if (node.provision_state === 'inspecting') {
      try {
        await startInspection!(node.uuid);
      } catch (err) {
        await registry.finishProvision(node.uuid, 'inspecting', { error: `Failed to start inspection: ${messageOf(err)}` });
        throw err;
      }
    }
    return node;
  };
}

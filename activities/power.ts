import { ApplicationFailure } from '@temporalio/common';
import { log } from '@temporalio/activity';
import { InvalidInputError, NotFoundError } from '../common/errors';
import { bmcFor, BmcError, type BmcDriver } from './bmc';
import type { ActivityDeps } from './deps';

/** Runs one BMC operation, turning a permanent BMC error into a non-retryable activity failure. */
async function withBmc<T>(deps: ActivityDeps, nodeUuid: string, op: (bmc: BmcDriver) => Promise<T>): Promise<T> {
  try {
    const node = await deps.registry.getNodeOrThrow(nodeUuid);
    return await op(bmcFor(node, deps.bmc));
  } catch (err) {
    if (err instanceof BmcError && !err.retryable) throw ApplicationFailure.nonRetryable(err.message, 'BmcError');
    // Bad driver_info or an unknown node: trying again cannot help.
    if (err instanceof InvalidInputError || err instanceof NotFoundError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidNode');
    throw err;
  }
}

async function recordPower(deps: ActivityDeps, nodeUuid: string, power_state: string): Promise<void> {
  await deps.registry.updateNode(nodeUuid, () => ({ power_state }));
}

export function powerActivities(deps: ActivityDeps) {
  return {
    async setBootDevicePxe(nodeUuid: string): Promise<void> {
      await withBmc(deps, nodeUuid, (bmc) => bmc.setBootDevice('pxe'));
      log.info('boot device set to PXE', { nodeUuid });
    },

    /** Boots the node into the ramdisk: a power cycle when it is on, power on when it is off. */
    async bootNode(nodeUuid: string): Promise<'power cycle' | 'power on'> {
      const action = await withBmc(deps, nodeUuid, async (bmc) => {
        if ((await bmc.powerStatus()) === 'power on') {
          await bmc.powerCycle();
          return 'power cycle' as const;
        }
        await bmc.powerOn();
        return 'power on' as const;
      });
      await recordPower(deps, nodeUuid, 'power on');
      log.info('node booted', { nodeUuid, action });
      return action;
    },

    /** Idempotent: a node already off is left alone. */
    async powerOffNode(nodeUuid: string): Promise<void> {
      await withBmc(deps, nodeUuid, async (bmc) => {
        if ((await bmc.powerStatus()) === 'power on') await bmc.powerOff();
      });
      await recordPower(deps, nodeUuid, 'power off');
      log.info('node powered off', { nodeUuid });
    },
  };
}

import { Context, log } from '@temporalio/activity';
import { bmcFor, BmcError, type BmcDriver, type BootDevice, type PowerState } from './bmc';
import type { ActivityDeps } from './deps';
import { classified } from './failures';

const POLL_MS = 1000;
const HEARTBEAT_MS = 3000;

/**
 * Runs one BMC operation on the node's BMC, heartbeating all along: a worker that dies stops
 * heartbeating and the operation runs again elsewhere within the heartbeat timeout; a
 * cancellation (abort) reaches the operation between two BMC commands.
 */
async function withBmc<T>(deps: ActivityDeps, nodeUuid: string, op: (bmc: BmcDriver, label: string) => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_MS);
  try {
    return await classified(async () => {
      const node = await deps.registry.getNodeOrThrow(nodeUuid);
      return op(bmcFor(node, deps.bmc), node.name ?? node.uuid);
    });
  } finally {
    clearInterval(beat);
  }
}

/** Polls the BMC until it reports `target`: ipmitool returns before the chassis has changed. */
async function confirmPower(bmc: BmcDriver, label: string, target: PowerState, timeoutMs: number): Promise<void> {
  const ctx = Context.current();
  const deadline = Date.now() + timeoutMs;
  let last: PowerState;
  while ((last = await bmc.powerStatus()) !== target) {
    if (Date.now() >= deadline) {
      throw new BmcError(`node ${label}: the BMC accepted "${target}" but still reports "${last}" after ${Math.round(timeoutMs / 1000)} s; check the server's power supply and the BMC`, true);
    }
    await ctx.sleep(POLL_MS); // rejects when the activity is cancelled
  }
}

async function recordPower(deps: ActivityDeps, nodeUuid: string, power_state: PowerState): Promise<void> {
  await deps.registry.updateNode(nodeUuid, () => ({ power_state }));
}

export function powerActivities(deps: ActivityDeps) {
  const timeoutMs = deps.bmc.powerTimeoutMs ?? 120000;
  return {
    /** Runs of before every boot armed PXE once here; kept for them. */
    async setBootDevicePxe(nodeUuid: string): Promise<void> {
      await withBmc(deps, nodeUuid, (bmc) => bmc.setBootDevice('pxe'));
      log.info('boot device set to PXE', { nodeUuid });
    },

    /**
     * Boots the node into the ramdisk, as a real BMC needs it: power off and wait until it is off
     * (when on), then arm the one-time PXE override (read back; it lasts one boot, and 60 s on
     * IPMI), then power on and wait until it is on.
     */
    async bootNode(nodeUuid: string): Promise<'power cycle' | 'power on'> {
      const action = await withBmc(deps, nodeUuid, async (bmc, label) => {
        const wasOn = (await bmc.powerStatus()) === 'power on';
        if (wasOn) {
          await bmc.powerOff();
          await confirmPower(bmc, label, 'power off', timeoutMs);
        }
        await bmc.setBootDevice('pxe');
        await bmc.powerOn();
        await confirmPower(bmc, label, 'power on', timeoutMs);
        return wasOn ? ('power cycle' as const) : ('power on' as const);
      });
      await classified(() => recordPower(deps, nodeUuid, 'power on'));
      log.info('node booted with a one-time PXE override', { nodeUuid, action });
      return action;
    },

    /** Idempotent: a node already off is left alone; otherwise off, and confirmed off. */
    async powerOffNode(nodeUuid: string): Promise<void> {
      await withBmc(deps, nodeUuid, async (bmc, label) => {
        if ((await bmc.powerStatus()) === 'power off') return;
        await bmc.powerOff();
        await confirmPower(bmc, label, 'power off', timeoutMs);
      });
      await classified(() => recordPower(deps, nodeUuid, 'power off'));
      log.info('node powered off', { nodeUuid });
    },

    // Power and boot-device requests over the node API (workflows/node-power.ts), as Ironic's.

    /** Idempotent: a node already on is left alone; otherwise on, and confirmed on. */
    async powerOnNode(nodeUuid: string): Promise<void> {
      await withBmc(deps, nodeUuid, async (bmc, label) => {
        if ((await bmc.powerStatus()) === 'power on') return;
        await bmc.powerOn();
        await confirmPower(bmc, label, 'power on', timeoutMs);
      });
      await classified(() => recordPower(deps, nodeUuid, 'power on'));
      log.info('node powered on', { nodeUuid });
    },

    /** The boot device for the next boot only. */
    async setNodeBootDevice(nodeUuid: string, device: BootDevice): Promise<void> {
      await withBmc(deps, nodeUuid, (bmc) => bmc.setBootDevice(device));
      log.info('boot device set for the next boot', { nodeUuid, device });
    },

    /** `manage`'s check: the BMC answers a power status with the stored credentials. */
    async checkBmc(nodeUuid: string): Promise<PowerState> {
      return withBmc(deps, nodeUuid, (bmc) => bmc.powerStatus());
    },
  };
}

import { randomUUID } from 'node:crypto';
import { Context, log } from '@temporalio/activity';
import { IntrospectionDataSchema } from '../common/inventory';
import { ConflictError, InvalidInputError } from '../common/errors';
import { describeZodError } from '../common/validation';
import { RedfishDriverInfoSchema } from '../nodes/schema';
import { BmcError } from './bmc';
import { RedfishDriver } from './bmc/redfish';
import { enabledMacs, inventoryFromRedfish, readRedfishHardware } from './bmc/redfish-inventory';
import type { ActivityDeps } from './deps';
import { classified } from './failures';
import { objectNames } from './storage';

const HEARTBEAT_MS = 3000;

export function outOfBandActivities(deps: ActivityDeps) {
  return {
    /**
     * Out-of-band inspection's collection, as Ironic's redfish inspect interface does it: reads
     * the node's hardware from its BMC over Redfish (no boot, no power change), stores it as an
     * agent's post would be (so processData keeps it as the raw data) and creates a port for
     * each enabled NIC that has none yet (pxe_enabled, as Ironic creates them). Returns the
     * stored object's name. Safe to run again.
     */
    async readInventoryOutOfBand(nodeUuid: string): Promise<string> {
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_MS);
      try {
        return await classified(async () => {
          const node = await deps.registry.getNodeOrThrow(nodeUuid);
          const label = node.name ?? node.uuid;
          if (node.driver !== 'redfish') {
            throw new InvalidInputError(`node ${label}: inspect_interface redfish needs driver redfish, not ${node.driver}; set inspect_interface to agent`);
          }
          const info = RedfishDriverInfoSchema.safeParse(node.driver_info);
          if (!info.success) throw new InvalidInputError(`node ${label}: driver_info: ${describeZodError(info.error)}`);
          const bmc = new RedfishDriver(info.data, { nodeId: label, retryDelayMs: deps.bmc.retryDelayMs });

          const data = IntrospectionDataSchema.safeParse(inventoryFromRedfish(await readRedfishHardware(bmc, label)));
          if (!data.success) {
            throw new BmcError(`node ${label}: the BMC's Redfish answers make no valid inventory (${describeZodError(data.error)}); check the BMC's firmware`, false);
          }

          const objectName = objectNames.received(node.uuid, `redfish-${ctx.info.workflowExecution?.runId ?? randomUUID()}`);
          await deps.store.putJson(objectName, data.data);
          await createPorts(deps, node.uuid, enabledMacs(data.data));
          log.info('hardware read from the BMC over Redfish', { nodeUuid, objectName });
          return objectName;
        });
      } finally {
        clearInterval(beat);
      }
    },
  };
}

/** Ironic's create_ports_if_not_exist: a MAC already a port (of this node or another) is left as it is. */
async function createPorts(deps: ActivityDeps, nodeUuid: string, macs: string[]): Promise<void> {
  const existing = new Set((await deps.registry.listPorts(nodeUuid)).map((p) => p.address));
  for (const address of macs.filter((mac) => !existing.has(mac))) {
    try {
      await deps.registry.createPort({ node_uuid: nodeUuid, address, pxe_enabled: true });
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      log.warn('port not created: its MAC is a port already', { nodeUuid, address, error: err.message });
    }
  }
}

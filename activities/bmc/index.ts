import { InvalidInputError } from '../../common/errors';
import { describeZodError } from '../../common/validation';
import type { NodeRecord } from '../../nodes';
import { IpmiDriverInfoSchema, RedfishDriverInfoSchema } from '../../nodes/schema';
import { BmcError, type BmcDriver } from './driver';
import { FakeDriver } from './fake';
import { IpmitoolDriver } from './ipmitool';
import { RedfishDriver } from './redfish';

export { BmcError } from './driver';
export type { BmcDriver, PowerState, BootDevice } from './driver';

export interface BmcSettings {
  ipmitoolPath?: string;
  defaultCipherSuite: number;
  retryDelayMs?: number;
}

/** The driver for a node's BMC, built from its stored driver_info (secrets stay in this process). */
export function bmcFor(node: NodeRecord, settings: BmcSettings): BmcDriver {
  switch (node.driver) {
    case 'ipmi': {
      const parsed = IpmiDriverInfoSchema.safeParse(node.driver_info);
      if (!parsed.success) throw new InvalidInputError(`node ${node.uuid}: driver_info: ${describeZodError(parsed.error)}`);
      return new IpmitoolDriver(parsed.data, { nodeId: node.name ?? node.uuid, ...settings });
    }
    case 'redfish': {
      const parsed = RedfishDriverInfoSchema.safeParse(node.driver_info);
      if (!parsed.success) throw new InvalidInputError(`node ${node.uuid}: driver_info: ${describeZodError(parsed.error)}`);
      return new RedfishDriver(parsed.data, { nodeId: node.name ?? node.uuid, retryDelayMs: settings.retryDelayMs });
    }
    case 'fake':
      return new FakeDriver(node.uuid);
    default:
      throw new BmcError(`node ${node.uuid}: driver ${node.driver} cannot control power yet`, false);
  }
}

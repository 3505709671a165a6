import type { Config } from '../../common/config';
import { InvalidInputError } from '../../common/errors';
import { findTool } from '../../common/tools';
import { describeZodError } from '../../common/validation';
import type { NodeRecord } from '../../nodes';
import { IpmiDriverInfoSchema, RedfishDriverInfoSchema } from '../../nodes/schema';
import { BmcError, type BmcDriver } from './driver';
import { FakeDriver } from './fake';
import { measured } from './measured';
import { paced } from './pace';
import { IpmitoolDriver } from './ipmitool';
import { RedfishDriver } from './redfish';

export { BmcError } from './driver';
export type { BmcDriver, PowerState, BootDevice } from './driver';

export interface BmcSettings {
  ipmitoolPath?: string;
  defaultCipherSuite: number;
  retryDelayMs?: number;
  /** Least time between two commands to one BMC (Ironic's ipmi_min_command_interval). */
  minCommandIntervalMs?: number;
  /** How long a power change may take before the BMC reports it. */
  powerTimeoutMs?: number;
}

export function bmcSettings(config: Config): BmcSettings {
  return {
    ipmitoolPath: findTool('ipmitool', config.INTROSPECTOR_TOOLS_DIR),
    defaultCipherSuite: config.IPMI_CIPHER_SUITE,
    minCommandIntervalMs: config.BMC_MIN_COMMAND_INTERVAL * 1000,
    powerTimeoutMs: config.BMC_POWER_TIMEOUT * 1000,
  };
}

/** The driver for a node's BMC, built from its stored driver_info (secrets stay in this process). */
export function bmcFor(node: NodeRecord, settings: BmcSettings): BmcDriver {
  switch (node.driver) {
    case 'ipmi': {
      const parsed = IpmiDriverInfoSchema.safeParse(node.driver_info);
      if (!parsed.success) throw new InvalidInputError(`node ${node.uuid}: driver_info: ${describeZodError(parsed.error)}`);
      const driver = new IpmitoolDriver(parsed.data, { nodeId: node.name ?? node.uuid, ...settings });
      return paced(measured(driver, 'ipmi'), `ipmi ${parsed.data.ipmi_address}:${parsed.data.ipmi_port}`, settings.minCommandIntervalMs ?? 0);
    }
    case 'redfish': {
      const parsed = RedfishDriverInfoSchema.safeParse(node.driver_info);
      if (!parsed.success) throw new InvalidInputError(`node ${node.uuid}: driver_info: ${describeZodError(parsed.error)}`);
      const driver = new RedfishDriver(parsed.data, { nodeId: node.name ?? node.uuid, retryDelayMs: settings.retryDelayMs });
      return paced(measured(driver, 'redfish'), `redfish ${new URL(parsed.data.redfish_address).origin}`, settings.minCommandIntervalMs ?? 0);
    }
    case 'fake':
      return measured(new FakeDriver(node.uuid), 'fake');
    default:
      throw new BmcError(`node ${node.uuid}: driver ${node.driver} cannot control power yet`, false);
  }
}

// The registry of collectors by name (IPA's ipa-inspection-collectors names).

import { collectDefault } from './default';
import { collectDmidecode } from './dmi-decode';
import { collectExtraHardware } from './extra-hardware';
import { collectLldp } from './lldp';
import { collectLogs } from './logs';
import { collectNumaTopology } from './numa-topology';
import { collectPciDevices } from './pci-devices';
import type { Collector } from './types';
import { collectUsbDevices } from './usb-devices';

export const COLLECTORS: Readonly<Record<string, Collector>> = Object.freeze({
  default: collectDefault,
  'extra-hardware': collectExtraHardware,
  lldp: collectLldp,
  'pci-devices': collectPciDevices,
  'numa-topology': collectNumaTopology,
  'dmi-decode': collectDmidecode,
  'usb-devices': collectUsbDevices,
  logs: collectLogs,
});

export const COLLECTOR_NAMES = Object.keys(COLLECTORS);

export function isCollectorName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(COLLECTORS, name);
}

/**
 * Run order: `default` first (the others read or extend its inventory), `logs`
 * last (it should see everything that was logged), the rest as requested.
 */
export function orderCollectors(names: string[]): string[] {
  const unique = [...new Set(names)];
  const middle = unique.filter((n) => n !== 'default' && n !== 'logs');
  return [...(unique.includes('default') ? ['default'] : []), ...middle, ...(unique.includes('logs') ? ['logs'] : [])];
}

export type { Collector, Payload } from './types';

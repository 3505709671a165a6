import type { Interface, Inventory } from '../../common/inventory';
import { HookError, type HookContext } from './types';

/** One entry of `data.all_interfaces` / `data.interfaces`, as ironic-inspector stores it. */
export interface ProcessedInterface {
  ip: string | null;
  mac: string;
  client_id: string | null;
  pxe: boolean;
  lldp_processed?: Record<string, unknown>;
}

export type ProcessedInterfaces = Record<string, ProcessedInterface>;

/** The inventory, or a HookError as ironic-inspector's get_inventory. */
export function requireInventory(ctx: HookContext): Inventory {
  const inventory = ctx.data.inventory as Inventory | undefined;
  if (!inventory || typeof inventory !== 'object') {
    throw new HookError('Hardware inventory is empty or missing');
  }
  return inventory;
}

export function inventoryInterfaces(inventory: Inventory): Interface[] {
  return Array.isArray(inventory.interfaces) ? inventory.interfaces : [];
}

export function allInterfaces(ctx: HookContext): ProcessedInterfaces {
  const value = ctx.data.all_interfaces;
  return value && typeof value === 'object' ? (value as ProcessedInterfaces) : {};
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export const GiB = 1024 ** 3;

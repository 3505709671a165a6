import { normalizeMac } from '../../common/mac';
import type { HookContext, PortSpec } from './types';

/**
 * The port entry of `mac` to change in the patch: the one the pipeline creates or
 * updates already, else an update entry for the node's existing port (added to
 * patch.ports, keeping its pxe_enabled). Null when the node has no such port or
 * the pipeline removes it.
 */
export function portToUpdate(ctx: HookContext, mac: string): PortSpec | null {
  const planned = ctx.patch.ports.find((p) => p.address === mac);
  if (planned) return planned;
  const existing = existingPort(ctx, mac);
  if (!existing || ctx.patch.removePorts.includes(existing.address)) return null;
  const port: PortSpec = { address: mac, pxe_enabled: existing.pxe_enabled };
  ctx.patch.ports.push(port);
  return port;
}

/** The node's port of `mac` as it is before this run, if it has one. */
export function existingPort(ctx: HookContext, mac: string): HookContext['node']['ports'][number] | undefined {
  return ctx.node.ports.find((p) => normalizeMac(p.address) === mac);
}

/** The node's current physical network of the port `mac` (null when it has none or no such port). */
export function currentPhysnet(ctx: HookContext, mac: string): string | null {
  return existingPort(ctx, mac)?.physical_network ?? null;
}

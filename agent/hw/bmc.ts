// BMC addresses: an operator override (simulated rack, where the node has no
// local BMC), else `ipmitool lan print <channel>` / `ipmitool lan6 print
// <channel>` over the local IPMI device as IPA does, else null.

import net from 'node:net';
import type { CollectorContext } from '../context';

export interface BmcInfo {
  bmc_address: string | null;
  bmc_v6address: string | null;
  bmc_mac: string | null;
}

const NONE: BmcInfo = { bmc_address: null, bmc_v6address: null, bmc_mac: null };
const CHANNELS = Array.from({ length: 11 }, (_, i) => i + 1);

export function parseLanPrint(text: string): { ip: string | null; mac: string | null } {
  const ip = text.match(/^IP Address\s*:\s*(\S+)/m)?.[1] ?? null;
  const mac = text.match(/^MAC Address\s*:\s*(\S+)/m)?.[1]?.toLowerCase() ?? null;
  return {
    ip: ip && net.isIPv4(ip) && ip !== '0.0.0.0' ? ip : null,
    mac: mac && /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(mac) && mac !== '00:00:00:00:00:00' ? mac : null,
  };
}

/** Pick the first active IPv6 address (global before link-local) from `ipmitool lan6 print`. */
export function parseLan6Print(text: string): string | null {
  const found: string[] = [];
  let pending: string | null = null;
  let enabled: boolean | null = null;
  const flush = () => {
    if (pending && enabled !== false) found.push(pending);
    pending = null;
    enabled = null;
  };
  for (const line of text.split('\n')) {
    const enabledMatch = line.match(/^\s*Enabled\s*:\s*(\S+)/i);
    if (enabledMatch) enabled = enabledMatch[1].toLowerCase() === 'yes';
    const address = line.match(/^\s*Address\s*:\s*(\S+)/i);
    if (address) {
      const ip = address[1].split('/')[0];
      pending = net.isIPv6(ip) && ip !== '::' ? ip : null;
      continue;
    }
    const status = line.match(/^\s*Status\s*:\s*(\S+)/i);
    if (status) {
      if (status[1].toLowerCase() === 'active') flush();
      pending = null;
      enabled = null;
    }
  }
  const global = found.find((ip) => !/^fe[89ab]/i.test(ip));
  return global ?? found[0] ?? null;
}

/** ipmitool's first line that says what went wrong (1.8.19 first complains that it has no IANA enterprise numbers file). */
function firstProblem(text: string): string {
  return text.split('\n').find((line) => line.trim() && !/IANA PEN registry/.test(line))?.trim() ?? '';
}

function noDevice(stderr: string): boolean {
  return /could not open device|no such file|insufficient privilege|unable to establish|driver not found/i.test(stderr);
}

export async function getBmc(ctx: CollectorContext): Promise<BmcInfo> {
  if (ctx.bmcAddress) {
    const v6 = net.isIPv6(ctx.bmcAddress);
    return { bmc_address: v6 ? null : ctx.bmcAddress, bmc_v6address: v6 ? ctx.bmcAddress : null, bmc_mac: null };
  }
  const ipmitool = await ctx.which('ipmitool');
  if (!ipmitool) {
    ctx.log.info('ipmitool not found; BMC address unknown');
    return NONE;
  }
  const result: BmcInfo = { ...NONE };
  let answered: number | null = null;
  for (const channel of CHANNELS) {
    const out = await ctx.exec(ipmitool, ['lan', 'print', String(channel)], { timeoutMs: 10000 });
    if (out.code !== 0) {
      if (channel === 1 && (out.error || noDevice(out.stderr))) {
        ctx.log.info('no local BMC reachable through ipmitool', { detail: firstProblem(out.error ?? out.stderr) });
        return NONE;
      }
      continue; // "Invalid channel" and friends
    }
    answered ??= channel;
    const { ip, mac } = parseLanPrint(out.stdout);
    if (ip) {
      result.bmc_address = ip;
      result.bmc_mac = mac;
      answered = channel;
      break;
    }
  }
  if (answered === null) return result;
  const v6Channels = result.bmc_address ? [answered] : CHANNELS;
  for (const channel of v6Channels) {
    const out = await ctx.exec(ipmitool, ['lan6', 'print', String(channel)], { timeoutMs: 10000 });
    if (out.code !== 0) continue;
    const ip = parseLan6Print(out.stdout);
    if (ip) {
      result.bmc_v6address = ip;
      break;
    }
  }
  return result;
}

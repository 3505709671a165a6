// Settings resolution: command-line flags > environment > kernel command line
// (the ironic-python-agent parameters a PXE/iPXE config passes to a ramdisk).

import net from 'node:net';
import { bootMac } from '../common/mac';
import { COLLECTOR_NAMES, isCollectorName } from './collectors';

export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

export type Source = 'flag' | 'env' | 'cmdline' | 'default';

export interface FlagValues {
  callbackUrl?: string;
  collectors?: string;
  bmcAddress?: string;
  cmdlineFile?: string;
  deadline?: string;
  dryRun?: boolean;
  bootif?: string;
}

export interface Settings {
  callbackUrl: string | null;
  collectors: string[];
  bmcAddress: string | null;
  deadlineSeconds: number;
  dryRun: boolean;
  /** PXE MAC from BOOTIF, normalized to aa:bb:cc:dd:ee:ff. */
  bootif: string | null;
  /** The run's token, sent back with the data so the server can tell this boot's agent from others. */
  agentToken: string | null;
  kernelParams: Record<string, string>;
  sources: { callbackUrl: Source; collectors: Source; bmcAddress: Source; bootif: Source; agentToken: Source };
  /** Problems that do not stop the agent (logged by the caller). */
  warnings: string[];
}

export const ENV = {
  callbackUrl: 'IPA_INSPECTION_CALLBACK_URL',
  collectors: 'IPA_INSPECTION_COLLECTORS',
  bmcAddress: 'INTROSPECTOR_AGENT_BMC_ADDRESS',
  agentToken: 'IPA_AGENT_TOKEN',
} as const;

export const CMDLINE = {
  callbackUrl: 'ipa-inspection-callback-url',
  collectors: 'ipa-inspection-collectors',
  bootif: 'BOOTIF',
  agentToken: 'ipa-agent-token',
} as const;

export const DEFAULT_DEADLINE_SECONDS = 300;
export const DEFAULT_CMDLINE_FILE = '/proc/cmdline';

/** key=value parameters of a kernel command line; quoted values keep their spaces; the last one wins. */
export function parseKernelCmdline(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  const tokens = text.match(/(?:[^\s"]+|"[^"]*")+/g) ?? [];
  for (const token of tokens) {
    const eq = token.indexOf('=');
    if (eq <= 0) continue;
    const key = token.slice(0, eq);
    params[key] = token.slice(eq + 1).replace(/"/g, '');
  }
  return params;
}

function pick(
  flag: string | undefined,
  env: string | undefined,
  cmdline: string | undefined,
): { value: string | undefined; source: Source } {
  const set = (v: string | undefined) => v !== undefined && v.trim() !== '';
  if (set(flag)) return { value: flag!.trim(), source: 'flag' };
  if (set(env)) return { value: env!.trim(), source: 'env' };
  if (set(cmdline)) return { value: cmdline!.trim(), source: 'cmdline' };
  return { value: undefined, source: 'default' };
}

export interface ResolveInput {
  flags: FlagValues;
  env: NodeJS.ProcessEnv;
  /** Contents of the kernel command line ('' when unavailable). */
  cmdline: string;
}

export function resolveSettings({ flags, env, cmdline }: ResolveInput): Settings {
  const kernelParams = parseKernelCmdline(cmdline);
  const warnings: string[] = [];

  const url = pick(flags.callbackUrl, env[ENV.callbackUrl], kernelParams[CMDLINE.callbackUrl]);
  let callbackUrl: string | null = null;
  if (url.value !== undefined) {
    if (url.value === 'mdns') throw new SettingsError('callback URL "mdns" (mDNS discovery) is not supported; give the full URL');
    let parsed: URL;
    try {
      parsed = new URL(url.value);
    } catch {
      throw new SettingsError(`callback URL from ${url.source} is not a valid URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new SettingsError(`callback URL from ${url.source} must be http or https, not ${parsed.protocol}`);
    }
    callbackUrl = url.value;
  }
  if (!callbackUrl && !flags.dryRun) {
    throw new SettingsError(
      `no callback URL: pass --callback-url, set ${ENV.callbackUrl}, or boot with ${CMDLINE.callbackUrl}=... (or use --dry-run)`,
    );
  }

  const list = pick(flags.collectors, env[ENV.collectors], kernelParams[CMDLINE.collectors]);
  const collectors = (list.value ?? 'default')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = collectors.filter((n) => !isCollectorName(n));
  if (unknown.length) {
    throw new SettingsError(`unknown collector(s) ${unknown.join(', ')}; known: ${COLLECTOR_NAMES.join(', ')}`);
  }
  if (!collectors.includes('default')) {
    collectors.unshift('default');
    warnings.push('collector "default" added: the inventory is required by the introspection data schema');
  }

  const bmc = pick(flags.bmcAddress, env[ENV.bmcAddress], undefined);
  if (bmc.value !== undefined && net.isIP(bmc.value) === 0) {
    throw new SettingsError(`BMC address from ${bmc.source} is not an IP address: ${bmc.value}`);
  }

  let deadlineSeconds = DEFAULT_DEADLINE_SECONDS;
  if (flags.deadline !== undefined) {
    deadlineSeconds = Number(flags.deadline);
    if (!Number.isFinite(deadlineSeconds) || deadlineSeconds <= 0) {
      throw new SettingsError(`--deadline must be a positive number of seconds, not ${flags.deadline}`);
    }
  }

  const boot = pick(flags.bootif, undefined, kernelParams[CMDLINE.bootif]);
  let bootif: string | null = null;
  if (boot.value !== undefined) {
    bootif = bootMac(boot.value);
    if (!bootif) {
      if (boot.source === 'flag') throw new SettingsError(`--bootif is not a MAC address: ${boot.value}`);
      warnings.push(`ignoring BOOTIF that is not a MAC address: ${boot.value}`);
    }
  }

  // No flag: a token on the command line would show in ps.
  const token = pick(undefined, env[ENV.agentToken], kernelParams[CMDLINE.agentToken]);
  if (token.value !== undefined && !/^[A-Za-z0-9_-]+$/.test(token.value)) {
    throw new SettingsError(`agent token from ${token.source} is not base64url (A-Z a-z 0-9 - _)`);
  }

  return {
    callbackUrl,
    collectors,
    bmcAddress: bmc.value ?? null,
    deadlineSeconds,
    dryRun: flags.dryRun === true,
    bootif,
    agentToken: token.value ?? null,
    kernelParams,
    sources: {
      callbackUrl: url.source,
      collectors: list.source,
      bmcAddress: bmc.source,
      bootif: bootif ? boot.source : 'default',
      agentToken: token.source,
    },
    warnings,
  };
}

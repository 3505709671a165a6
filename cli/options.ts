// Option value parsers for commander. A thrown InvalidArgumentError makes
// commander print "option '--concurrency <n>' argument '0' is invalid. <why>",
// which names the flag.

import { normalizeMac } from '../common/mac';
import { InvalidArgumentError } from 'commander';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('It must be a positive whole number.');
  }
  return n;
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError('It must be a number of seconds, 0 or more.');
  }
  return n;
}

export function positiveSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError('It must be a number of seconds greater than 0.');
  }
  return n;
}

export function tcpPort(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || n < 1 || n > 65535) {
    throw new InvalidArgumentError('It must be a port number from 1 to 65535.');
  }
  return n;
}

/** Repeatable --mac: checked and normalised to lower case with colons. */
export function collectMac(value: string, previous: string[] | undefined): string[] {
  const mac = normalizeMac(value);
  if (!mac) throw new InvalidArgumentError('It must be a MAC address like 52:54:00:12:34:56.');
  return [...(previous ?? []), mac];
}

/**
 * k=v as a JSON value: whole numbers and decimals become numbers, true/false
 * booleans, anything else stays a string (`cpus=8` → 8, `capabilities=boot_mode:uefi`
 * → "boot_mode:uefi").
 */
export function parseValue(raw: string): string | number | boolean {
  if (/^-?(0|[1-9]\d*)(\.\d+)?$/.test(raw)) {
    const n = Number(raw);
    if (Number.isSafeInteger(n) || !Number.isInteger(n)) return n;
  }
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  return raw;
}

/** Repeatable --property/--extra k=v, collected into an object (a repeated key: the last wins). */
export function collectKeyValue(value: string, previous: Record<string, unknown> | undefined): Record<string, unknown> {
  const eq = value.indexOf('=');
  const key = eq > 0 ? value.slice(0, eq).trim() : '';
  if (!key) throw new InvalidArgumentError('It must look like key=value.');
  return { ...(previous ?? {}), [key]: parseValue(value.slice(eq + 1)) };
}

import type { Request } from 'express';

// OpenStack API microversions, as both APIs read them: "X.Y" or "latest", in a service's own
// header (X-OpenStack-Ironic-API-Version, X-OpenStack-Ironic-Inspector-API-Version) or in the
// standard `OpenStack-API-Version: <service> X.Y` (which may name several services, comma-separated).
// Each API words its own refusals; the reading and the range check are here only.

/** A 406 (what the error handler answers for any error carrying `status`). */
export class NotAcceptableError extends Error {
  readonly status = 406;
}

export interface Microversion {
  major: number;
  minor: number;
}

export const formatVersion = (v: Microversion) => `${v.major}.${v.minor}`;

const DIGITS = /^\d{1,6}$/;

/** "X.Y" → the version; undefined when it is not one. */
export function parseVersion(text: string): Microversion | undefined {
  const parts = text.trim().split('.');
  if (parts.length !== 2 || !parts.every((p) => DIGITS.test(p))) return undefined;
  return { major: Number(parts[0]), minor: Number(parts[1]) };
}

const compare = (a: Microversion, b: Microversion) => a.major - b.major || a.minor - b.minor;

/** The versions an API speaks, from `min` to `max` ("X.Y" each). */
export class VersionRange {
  readonly min: Microversion;
  readonly max: Microversion;

  constructor(min: string, max: string) {
    this.min = parseVersion(min)!;
    this.max = parseVersion(max)!;
  }

  /**
   * What a requested version means here: the version ('latest' is the maximum), `malformed`
   * for text that is neither, `unsupported` (with the version) for one outside the range.
   */
  resolve(requested: string): { version: Microversion } | { malformed: true } | { unsupported: Microversion } {
    if (requested.trim().toLowerCase() === 'latest') return { version: this.max };
    const version = parseVersion(requested);
    if (!version) return { malformed: true };
    if (compare(version, this.min) < 0 || compare(version, this.max) > 0) return { unsupported: version };
    return { version };
  }

  /** Whether `version` is at least `since` ("X.Y"). */
  static atLeast(version: Microversion, since: string): boolean {
    return compare(version, parseVersion(since)!) >= 0;
  }
}

/** The version the standard header asks of `service` (e.g. `baremetal`), if it names that service. */
export function standardHeaderVersion(req: Request, service: string): string | undefined {
  const header = req.get('OpenStack-API-Version');
  if (!header) return undefined;
  for (const entry of header.split(',')) {
    const [name, version, ...rest] = entry.trim().split(/\s+/);
    if (name?.toLowerCase() === service && version !== undefined && rest.length === 0) return version;
  }
  return undefined;
}

/** The version asked for: the service's own header first, then the standard one. */
export function requestedVersion(req: Request, legacyHeader: string, service: string): string | undefined {
  return req.get(legacyHeader) ?? standardHeaderVersion(req, service);
}

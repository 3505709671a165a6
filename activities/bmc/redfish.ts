import { isRedfishSegment, redfishAddressProblem, redfishSystemPath, type RedfishDriverInfo } from '../../nodes/schema';
import { BmcError, type BmcDriver, type BootDevice, type PowerState } from './driver';

export interface RedfishOptions {
  /** Used in error messages: which node this BMC belongs to. */
  nodeId: string;
  /** Per HTTP request, seconds. */
  timeoutSeconds?: number;
  /** Attempts per request for transient failures (no answer, timeout, 5xx, 429). */
  attempts?: number;
  retryDelayMs?: number;
  /** How long power on/off/cycle wait for the system to report the new state, seconds. */
  powerWaitSeconds?: number;
  /** How often the power state is read while waiting, ms. */
  pollIntervalMs?: number;
}

type Json = Record<string, unknown>;
type Method = 'GET' | 'POST' | 'PATCH';

interface Answer {
  status: number;
  body: Json;
  etag: string | null;
}

// Redfish ResetTypes for each power action, most wanted first; the system's
// ResetType@Redfish.AllowableValues decides which one is sent when it lists them.
const RESET_TYPES = {
  on: ['On', 'ForceOn'],
  off: ['ForceOff'],
  cycle: ['ForceRestart', 'PowerCycle'],
} as const;

// As Ironic's Redfish power interface reads them.
const POWER_STATES: Record<string, PowerState> = {
  On: 'power on',
  PoweringOn: 'power on',
  Off: 'power off',
  PoweringOff: 'power off',
};

// Client-side TLS failures: the BMC's certificate is not trusted, and trying again cannot help.
const TLS_ERRORS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

// HTTP statuses worth another try: the BMC is busy or briefly broken.
const RETRYABLE_STATUS = (status: number) => status >= 500 || status === 429 || status === 408 || status === 409;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);

/** Ironic's reading of redfish_verify_ca: a boolean, a boolean-like string, or a CA bundle path. */
function parseVerifyCa(value: boolean | string | undefined): boolean | string {
  if (value === undefined || typeof value === 'boolean') return value ?? true;
  const v = value.trim().toLowerCase();
  if (['1', 't', 'true', 'on', 'y', 'yes'].includes(v)) return true;
  if (['0', 'f', 'false', 'off', 'n', 'no'].includes(v)) return false;
  return value;
}

/** Text from the BMC fit for a message: one line, no control characters, at most `max` characters. */
function clip(text: string, max: number): string {
  const line = text.replace(/[\u0000-\u001f\u007f-\u009f\s]+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * What the BMC said in a Redfish error body (error.message and @Message.ExtendedInfo); empty for
 * any other body, which may be a whole HTML page or echo what was sent.
 */
function redfishMessage(body: unknown): string {
  const parts: string[] = [];
  const error = isObject(body) ? body.error : undefined;
  if (isObject(error)) {
    if (typeof error.message === 'string' && error.message.trim()) parts.push(error.message.trim());
    const extended = error['@Message.ExtendedInfo'];
    const infos = Array.isArray(extended) ? extended.filter(isObject) : [];
    for (const info of infos) {
      const message = typeof info.Message === 'string' ? info.Message.trim() : '';
      if (message && !parts.includes(message)) parts.push(message);
    }
    if (!parts.length) {
      const ids = infos.map((i) => i.MessageId).filter((id): id is string => typeof id === 'string');
      parts.push(...(ids.length ? ids : typeof error.code === 'string' ? [error.code] : []));
    }
  }
  return parts.join('; ');
}

// Far above any Redfish resource (a ComputerSystem is a few KiB): a bigger answer is not a BMC's.
const MAX_ANSWER_BYTES = 1 << 20;

class TooLargeError extends Error {}

/** The answer's body as text, read no further than MAX_ANSWER_BYTES. */
async function boundedText(res: Response): Promise<string> {
  if (Number(res.headers.get('content-length')) > MAX_ANSWER_BYTES) {
    await res.body?.cancel();
    throw new TooLargeError();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body ?? []) {
    size += chunk.byteLength;
    // leaving the loop cancels the rest of the stream
    if (size > MAX_ANSWER_BYTES) throw new TooLargeError();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const REDFISH_ROOT = '/redfish/v1/';

/**
 * `raw` (a path, or a URL on `origin`) as a path under /redfish/v1/ made of plain segments (a
 * trailing slash allowed); undefined for anything else: another origin, dot segments, a query,
 * escapes.
 */
function redfishPath(raw: string, origin: string): string | undefined {
  const path = raw.startsWith(`${origin}/`) ? raw.slice(origin.length) : raw;
  if (!path.startsWith(REDFISH_ROOT)) return undefined;
  const segments = path.slice(REDFISH_ROOT.length).split('/');
  if (segments.length > 1 && segments[segments.length - 1] === '') segments.pop();
  return segments.every(isRedfishSegment) ? path : undefined;
}

/**
 * Drives a BMC over Redfish, as Ironic's redfish driver does: the system's PowerState, its
 * ComputerSystem.Reset action and a one-time boot source override. HTTP basic auth travels in
 * the Authorization header only; the password never appears in a URL, a message or a log.
 * Requests go to the origin of redfish_address and nowhere else: redirects are not followed,
 * and paths the BMC names are taken only when they stay under /redfish/v1/.
 */
export class RedfishDriver implements BmcDriver {
  private readonly base: URL;
  /** /redfish/v1/Systems/<id>, from redfish_system_id. */
  readonly systemPath: string;
  /** base64 of username:password, for the Authorization header. */
  private readonly credentials: string | undefined;
  private readonly timeoutMs: number;
  private readonly attempts: number;

  constructor(
    private readonly info: RedfishDriverInfo,
    private readonly options: RedfishOptions,
  ) {
    this.timeoutMs = (options.timeoutSeconds ?? 15) * 1000;
    this.attempts = options.attempts ?? 3;
    const invalid = (what: string) => new BmcError(`node ${options.nodeId}: driver_info.${what}`, false);

    const addressProblem = redfishAddressProblem(info.redfish_address);
    if (addressProblem) throw invalid(`redfish_address: ${addressProblem}`);
    const base = new URL(info.redfish_address);
    this.base = base;

    const verify = parseVerifyCa(info.redfish_verify_ca);
    if (base.protocol === 'https:' && verify !== true) {
      // Node's global fetch takes its TLS settings from an undici Agent, and Node 20 bundles
      // undici without exposing it as a module: without the `undici` package there is no way
      // to turn verification off or to trust a CA bundle for one request.
      const what =
        verify === false
          ? 'redfish_verify_ca=false (skipping certificate verification) is not supported yet'
          : 'redfish_verify_ca as a CA bundle path is not supported yet';
      throw invalid(
        `${what}: give the BMC a certificate this host trusts (the worker's NODE_EXTRA_CA_CERTS can add a CA) and leave redfish_verify_ca unset or true`,
      );
    }

    const systemPath = redfishSystemPath(info.redfish_system_id);
    if (!systemPath) throw invalid('redfish_system_id: must be a system id (letters, digits and -_.~: only) or a path /redfish/v1/Systems/<id>');
    this.systemPath = systemPath;
    if (info.redfish_username || info.redfish_password) {
      this.credentials = Buffer.from(`${info.redfish_username}:${info.redfish_password}`).toString('base64');
    }
  }

  async powerStatus(): Promise<PowerState> {
    return (await this.readPower()).state;
  }

  async powerOn(): Promise<void> {
    const system = await this.getSystem();
    if (this.powerOf(system).state === 'power on') return;
    await this.reset(system, 'on', 'power on');
  }

  async powerOff(): Promise<void> {
    const system = await this.getSystem();
    if (this.powerOf(system).state === 'power off') return;
    await this.reset(system, 'off', 'power off');
  }

  /** A hard restart of a running system; a system that is off is just powered on. */
  async powerCycle(): Promise<void> {
    const system = await this.getSystem();
    await this.reset(system, this.powerOf(system).state === 'power on' ? 'cycle' : 'on', 'power on');
  }

  /** A one-time boot source override, read back and confirmed. */
  async setBootDevice(device: BootDevice): Promise<void> {
    // The ETag covers the whole system on many BMCs: a power change between our GET and PATCH
    // makes it stale (412). Read again and retry, a bounded number of times.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.setBootDeviceOnce(device);
      } catch (err) {
        if (!(err instanceof StaleEtagError) || attempt >= this.attempts) throw err;
      }
    }
  }

  private async setBootDeviceOnce(device: BootDevice): Promise<void> {
    const target = device === 'pxe' ? 'Pxe' : 'Hdd';
    const system = await this.getSystem();
    const boot = isObject(system.body.Boot) ? system.body.Boot : {};
    const targets = strings(boot['BootSourceOverrideTarget@Redfish.AllowableValues']);
    if (targets && !targets.includes(target)) {
      throw new BmcError(this.describe('PATCH', this.systemPath, `the BMC does not offer boot target ${target} (it offers ${targets.join(', ') || 'none'})`), false);
    }
    const modes = strings(boot['BootSourceOverrideEnabled@Redfish.AllowableValues']);
    const enabled = !modes || modes.includes('Once') || !modes.includes('Continuous') ? 'Once' : 'Continuous';
    await this.request('PATCH', this.systemPath, { Boot: { BootSourceOverrideTarget: target, BootSourceOverrideEnabled: enabled } }, system.etag);

    const after = await this.getSystem();
    const now = isObject(after.body.Boot) ? after.body.Boot : {};
    const gotTarget = now.BootSourceOverrideTarget;
    const gotEnabled = now.BootSourceOverrideEnabled;
    if (gotTarget !== target || gotEnabled === 'Disabled') {
      throw new BmcError(
        this.describe(
          'PATCH',
          this.systemPath,
          `BMC accepted the change but reports boot device "${String(gotTarget ?? 'none')}" (override ${String(gotEnabled ?? 'not reported')})`,
        ),
        true,
      );
    }
  }

  /**
   * A resource the BMC names (an @odata.id, or a path of this BMC), as JSON; undefined when the
   * BMC answers 404 (a link to something it does not serve). A path that would leave
   * /redfish/v1/ of redfish_address is refused: the credentials stay on this BMC.
   */
  async read(path: string): Promise<Json | undefined> {
    const safe = redfishPath(path, this.base.origin);
    if (!safe) {
      throw new BmcError(this.describe('GET', this.said(path, 200), 'refused: the BMC links to a resource outside /redfish/v1/ of redfish_address'), false);
    }
    try {
      return (await this.request('GET', safe)).body;
    } catch (err) {
      if (err instanceof MissingError) return undefined;
      throw err;
    }
  }

  private getSystem(): Promise<Answer> {
    return this.request('GET', this.systemPath);
  }

  private async readPower(): Promise<{ state: PowerState; raw: string }> {
    return this.powerOf(await this.getSystem());
  }

  private powerOf(system: Answer): { state: PowerState; raw: string } {
    const raw = system.body.PowerState;
    const state = typeof raw === 'string' ? POWER_STATES[raw] : undefined;
    if (!state) throw new BmcError(this.describe('GET', this.systemPath, `unexpected PowerState ${JSON.stringify(raw ?? null)}`), true);
    return { state, raw: raw as string };
  }

  /** POSTs the system's ComputerSystem.Reset action and waits until the system reports `expect`. */
  private async reset(system: Answer, kind: keyof typeof RESET_TYPES, expect: PowerState): Promise<void> {
    const actions = isObject(system.body.Actions) ? system.body.Actions : {};
    const action = isObject(actions['#ComputerSystem.Reset']) ? actions['#ComputerSystem.Reset'] : {};
    // A target the BMC names elsewhere than under /redfish/v1/ of redfish_address (another host,
    // dot segments...) is not refused but replaced by the standard path, where every Redfish
    // service has the action: power control keeps working and the credentials stay on this BMC.
    const named = typeof action.target === 'string' ? redfishPath(action.target, this.base.origin) : undefined;
    const target = named ?? `${this.systemPath}/Actions/ComputerSystem.Reset`;
    const allowed = strings(action['ResetType@Redfish.AllowableValues']);
    const resetType = allowed ? RESET_TYPES[kind].find((t) => allowed.includes(t)) : RESET_TYPES[kind][0];
    if (!resetType) {
      if (kind === 'cycle' && allowed?.includes('ForceOff') && allowed.some((t) => t === 'On' || t === 'ForceOn')) {
        await this.reset(system, 'off', 'power off');
        await this.reset(system, 'on', 'power on');
        return;
      }
      const wanted = RESET_TYPES[kind].join(' or ');
      throw new BmcError(this.describe('POST', target, `the BMC offers no ResetType ${wanted} (it offers ${allowed?.join(', ') || 'none'})`), false);
    }

    await this.request('POST', target, { ResetType: resetType });

    const waitMs = (this.options.powerWaitSeconds ?? 60) * 1000;
    const deadline = Date.now() + waitMs;
    let last = '';
    for (;;) {
      const power = await this.readPower();
      if (power.state === expect && power.raw !== 'PoweringOn' && power.raw !== 'PoweringOff') return;
      last = power.raw;
      if (Date.now() >= deadline) break;
      await sleep(this.options.pollIntervalMs ?? 1000);
    }
    throw new BmcError(
      this.describe('POST', target, `BMC accepted ResetType ${resetType} but reports PowerState "${last}" after ${Math.round(waitMs / 1000)} s`),
      true,
    );
  }

  private describe(method: Method, path: string, answer: string): string {
    return this.redact(`node ${this.options.nodeId}: Redfish ${method} ${path} at ${this.base.origin} failed: ${answer}`);
  }

  /** Belt and braces: a BMC that echoes the password or the Authorization header back does not get it into a message. */
  private redact(text: string): string {
    return [this.credentials, this.info.redfish_password].reduce<string>((out, secret) => (secret ? out.split(secret).join('******') : out), text);
  }

  /** What the BMC answered, as a message may carry it: redacted before it is cut, so no part of a secret is left. */
  private said(text: string, max: number): string {
    return clip(this.redact(text), max);
  }

  /** Where a redirect points, for a message: a Redfish path of this BMC, or the origin of another; never credentials or a query. */
  private redirectTarget(location: string | null, from: URL): string {
    if (!location) return 'without a Location';
    let to: URL;
    try {
      to = new URL(location, from);
    } catch {
      return 'to a Location that is no URL';
    }
    if (to.origin !== this.base.origin) return `to another address, ${this.said(to.origin, 100)}`;
    return `to ${redfishPath(to.pathname, this.base.origin) ?? 'another path'}`;
  }

  private async request(method: Method, path: string, body?: Json, etag?: string | null): Promise<Answer> {
    let lastError: BmcError | undefined;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      try {
        return await this.once(method, path, body, etag);
      } catch (err) {
        if (!(err instanceof BmcError) || !err.retryable) throw err;
        lastError = err;
        const retryAfterMs = err instanceof BusyError ? err.retryAfterMs : 0;
        if (attempt < this.attempts) await sleep(Math.max((this.options.retryDelayMs ?? 1000) * attempt, retryAfterMs));
      }
    }
    throw new BmcError(`${lastError!.message} (after ${this.attempts} attempts)`, true);
  }

  private async once(method: Method, path: string, body?: Json, etag?: string | null): Promise<Answer> {
    const url = new URL(path, this.base);
    if (url.origin !== this.base.origin) {
      throw new BmcError(this.describe(method, path, `refused: the request would leave ${this.base.origin}`), false);
    }
    const headers: Record<string, string> = { Accept: 'application/json', 'OData-Version': '4.0' };
    if (this.credentials) headers.Authorization = `Basic ${this.credentials}`;
    if (body) headers['Content-Type'] = 'application/json';
    if (etag && method === 'PATCH') headers['If-Match'] = etag;

    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: body ? JSON.stringify(body) : undefined,
        // a redirect would carry the Authorization header to wherever the BMC (or whoever answers for it) names
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await boundedText(res);
    } catch (err) {
      if (err instanceof TooLargeError) throw new BmcError(this.describe(method, path, `HTTP ${res!.status} with an answer over ${MAX_ANSWER_BYTES} bytes; is redfish_address a Redfish service?`), false);
      throw this.networkError(method, path, err);
    }

    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = undefined;
    }
    if (res.ok) {
      if (method === 'GET' && !isObject(parsed)) {
        throw new BmcError(this.describe(method, path, `HTTP ${res.status} but the answer is not a JSON object`), true);
      }
      return { status: res.status, body: isObject(parsed) ? parsed : {}, etag: res.headers.get('etag') };
    }

    const statusLine = `HTTP ${res.status}${res.statusText ? ` ${this.said(res.statusText, 40)}` : ''}`;
    if (res.status >= 300 && res.status < 400) {
      const to = this.redirectTarget(res.headers.get('location'), url);
      const advice = 'set redfish_address and redfish_system_id to where the BMC serves the system';
      throw new BmcError(this.describe(method, path, `${statusLine}: the BMC answered with a redirect ${to}; redirects are not followed: ${advice}`), false);
    }
    const said = this.said(redfishMessage(parsed), 200);
    const advice = res.status === 401 ? '; check redfish_username and redfish_password' : '';
    const answer = `${statusLine}${said ? `: ${said}` : ''}${advice}`;
    if (res.status === 412) throw new StaleEtagError(this.describe(method, path, answer));
    if (res.status === 404) throw new MissingError(this.describe(method, path, answer));
    if (!RETRYABLE_STATUS(res.status)) throw new BmcError(this.describe(method, path, answer), false);
    const retryAfter = Number(res.headers.get('retry-after'));
    throw new BusyError(this.describe(method, path, answer), Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 10) * 1000 : 0);
  }

  private networkError(method: Method, path: string, err: unknown): BmcError {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
      return new BmcError(this.describe(method, path, `no answer within ${this.timeoutMs / 1000} s`), true);
    }
    const cause = e?.cause;
    const code = cause?.code;
    if (code && TLS_ERRORS.has(code)) {
      return new BmcError(this.describe(method, path, `the BMC's TLS certificate is not trusted (${cause?.message ?? code})`), false);
    }
    const detail = cause?.message ?? code ?? e?.message ?? String(err);
    return new BmcError(this.describe(method, path, `no answer: ${detail}`), true);
  }
}

/** 404: the BMC does not serve that path. */
class MissingError extends BmcError {
  constructor(message: string) {
    super(message, false);
  }
}

/** 412: the resource changed since its ETag was read; only a fresh read can help. */
class StaleEtagError extends BmcError {
  constructor(message: string) {
    super(message, false);
  }
}

/** A busy or broken BMC (5xx, 429...): worth another try, after Retry-After when it gave one. */
class BusyError extends BmcError {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message, true);
  }
}

import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BootDevice, Chassis, ChassisState } from './chassis';
import type { Temper } from './unkind';

export interface RedfishBmcOptions {
  address: string;
  port: number;
  /** The ComputerSystem's Id. */
  systemId: string;
  name: string;
  uuid: string;
  username: string;
  password: string;
  chassis: Chassis;
  temper: Temper;
  log: (line: string) => void;
}

const TARGETS: Record<BootDevice, string> = { none: 'None', pxe: 'Pxe', default: 'Hdd', cdrom: 'Cd', bios: 'BiosSetup' };
const OVERRIDE_MODES = ['Once', 'Continuous', 'Disabled'];
const RESET_TYPES = ['On', 'ForceOn', 'ForceOff', 'GracefulShutdown', 'ForceRestart', 'PowerCycle'] as const;
type ResetType = (typeof RESET_TYPES)[number];
const READ_ONLY = ['@odata.id', '@odata.type', 'Id', 'Name', 'UUID', 'SystemType', 'Manufacturer', 'Model', 'PowerState', 'Actions'];
const MAX_BODY = 64 * 1024;
const RETRY_AFTER_SECONDS = 1;

/** A Base message registry message as the error body's @Message.ExtendedInfo carries it. */
class RedfishError extends Error {
  constructor(
    readonly status: number,
    readonly messageId: string,
    message: string,
    readonly args: string[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body() {
    const id = `Base.1.8.${this.messageId}`;
    const info = { '@odata.type': '#Message.v1_1_1.Message', MessageId: id, Message: this.message, MessageArgs: this.args, MessageSeverity: 'Warning', Resolution: 'None.' };
    return { error: { code: id, message: this.message, '@Message.ExtendedInfo': [info] } };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A Redfish BMC of one simulated node, over plain HTTP on the node's BMC address: the service
 * root, the Systems collection and one ComputerSystem whose PowerState, boot source override and
 * ComputerSystem.Reset drive the node's chassis (chassis-control.sh, as ipmi_sim does), so power
 * changes take the rack's power delay (PoweringOn/PoweringOff meanwhile) and a Once override is
 * consumed by the boot it applied to (Redfish has no 60 s expiry). HTTP basic auth on everything
 * but the service root; ETag on the system, If-Match on PATCH (412 when stale); DMTF error bodies.
 * Unkind: slow answers, flaky dropped connections, busy 503s with Retry-After.
 */
export class RedfishBmc {
  private readonly systemPath: string;

  private constructor(
    private readonly server: http.Server,
    private readonly options: RedfishBmcOptions,
  ) {
    this.systemPath = `/redfish/v1/Systems/${options.systemId}`;
    server.on('request', (req, res) => void this.serve(req, res));
  }

  static async start(options: RedfishBmcOptions): Promise<RedfishBmc> {
    const server = http.createServer();
    const bmc = new RedfishBmc(server, options);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.address, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return bmc;
  }

  /** http://address:port, the node's redfish_address. */
  get url(): string {
    const { address, port } = this.server.address() as AddressInfo;
    return `http://${address}:${port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { temper, log } = this.options;
    // What happens to a request is decided as it arrives, so concurrent requests keep their order.
    const dropped = temper.drops();
    const busy = !dropped && temper.busy();
    await sleep(temper.delayMs);
    if (dropped) {
      log(`flaky: dropped the connection of ${req.method} ${req.url}`);
      req.socket.destroy();
      return;
    }
    let status = 200;
    let body: unknown;
    let headers: Record<string, string> = {};
    try {
      if (busy) {
        log(`busy: answered ${req.method} ${req.url} with 503`);
        throw new RedfishError(503, 'ServiceTemporarilyUnavailable', `The service is temporarily unavailable. Retry in ${RETRY_AFTER_SECONDS} seconds.`, [String(RETRY_AFTER_SECONDS)], {
          'Retry-After': String(RETRY_AFTER_SECONDS),
        });
      }
      ({ status, body, headers } = await this.route(req, await readBody(req)));
    } catch (caught) {
      const error = caught instanceof RedfishError ? caught : new RedfishError(500, 'GeneralError', `The BMC failed: ${(caught as Error).message}`);
      ({ status, headers } = error);
      body = error.body();
    }
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { ...(text ? { 'Content-Type': 'application/json; charset=utf-8' } : {}), 'OData-Version': '4.0', ...headers });
    res.end(text);
  }

  private async route(req: http.IncomingMessage, raw: string): Promise<{ status: number; body?: unknown; headers: Record<string, string> }> {
    const path = new URL(req.url ?? '/', 'http://bmc').pathname.replace(/(.)\/$/, '$1');
    const method = req.method ?? 'GET';
    const allow = (...methods: string[]) => {
      if (!methods.includes(method)) throw new RedfishError(405, 'GeneralError', `The method ${method} is not allowed on ${path}.`, [], { Allow: methods.join(', ') });
    };
    if (path === '/redfish') {
      allow('GET');
      return { status: 200, body: { v1: '/redfish/v1/' }, headers: {} };
    }
    if (path === '/redfish/v1') {
      allow('GET');
      return { status: 200, body: this.serviceRoot(), headers: {} };
    }
    this.authenticate(req.headers.authorization);
    if (path === '/redfish/v1/Systems') {
      allow('GET');
      return { status: 200, body: this.systems(), headers: {} };
    }
    if (path === this.systemPath) {
      allow('GET', 'PATCH');
      if (method === 'PATCH') {
        const before = await this.system();
        const ifMatch = req.headers['if-match'];
        if (ifMatch && ifMatch !== '*' && ifMatch !== before.etag) {
          throw new RedfishError(412, 'PreconditionFailed', 'The ETag supplied did not match the ETag required to change this resource.');
        }
        await this.patch(parseJson(raw));
      }
      const system = await this.system();
      return { status: 200, body: system.body, headers: { ETag: system.etag } };
    }
    if (path === `${this.systemPath}/Actions/ComputerSystem.Reset`) {
      allow('POST');
      await this.reset(parseJson(raw));
      return { status: 204, headers: {} };
    }
    throw new RedfishError(404, 'ResourceMissingAtURI', `The resource at the URI ${path} was not found.`, [path]);
  }

  private authenticate(header: string | undefined): void {
    const [scheme, encoded] = (header ?? '').split(' ');
    const credentials = scheme === 'Basic' && encoded ? Buffer.from(encoded, 'base64').toString() : '';
    if (credentials !== `${this.options.username}:${this.options.password}`) {
      throw new RedfishError(401, 'NoValidSession', 'There is no valid session established with the implementation.', [], {
        'WWW-Authenticate': 'Basic realm="simulated BMC"',
      });
    }
  }

  private serviceRoot() {
    return {
      '@odata.id': '/redfish/v1/',
      '@odata.type': '#ServiceRoot.v1_5_0.ServiceRoot',
      Id: 'RootService',
      Name: 'Root Service',
      RedfishVersion: '1.6.0',
      UUID: this.options.uuid,
      Systems: { '@odata.id': '/redfish/v1/Systems' },
    };
  }

  private systems() {
    return {
      '@odata.id': '/redfish/v1/Systems',
      '@odata.type': '#ComputerSystemCollection.ComputerSystemCollection',
      Name: 'Computer System Collection',
      Members: [{ '@odata.id': this.systemPath }],
      'Members@odata.count': 1,
    };
  }

  private async system(): Promise<{ body: Record<string, unknown>; etag: string }> {
    const state = await this.options.chassis.state();
    const body = {
      '@odata.id': this.systemPath,
      '@odata.type': '#ComputerSystem.v1_13_0.ComputerSystem',
      Id: this.options.systemId,
      Name: this.options.name,
      UUID: this.options.uuid,
      SystemType: 'Physical',
      Manufacturer: 'Introspector',
      Model: 'Simulated server',
      PowerState: powerState(state),
      Boot: {
        BootSourceOverrideEnabled: state.boot === 'none' ? 'Disabled' : state.bootMode === 'continuous' ? 'Continuous' : 'Once',
        'BootSourceOverrideEnabled@Redfish.AllowableValues': OVERRIDE_MODES,
        BootSourceOverrideTarget: TARGETS[state.boot],
        'BootSourceOverrideTarget@Redfish.AllowableValues': Object.values(TARGETS),
      },
      Actions: {
        '#ComputerSystem.Reset': { target: `${this.systemPath}/Actions/ComputerSystem.Reset`, 'ResetType@Redfish.AllowableValues': RESET_TYPES },
      },
    };
    // The whole resource, as many BMCs compute it: a power change makes an older ETag stale.
    const etag = `"${createHash('sha1').update(JSON.stringify(body)).digest('hex').slice(0, 16)}"`;
    return { body, etag };
  }

  private async patch(body: unknown): Promise<void> {
    if (!isObject(body)) throw new RedfishError(400, 'MalformedJSON', 'The request body submitted was malformed JSON and could not be parsed by the receiving service.');
    for (const key of Object.keys(body)) {
      if (key === 'Boot') continue;
      if (READ_ONLY.includes(key)) throw new RedfishError(400, 'PropertyNotWritable', `The property ${key} is a read only property and cannot be assigned a value.`, [key]);
      throw new RedfishError(400, 'PropertyUnknown', `The property ${key} is not in the list of valid properties for the resource.`, [key]);
    }
    const boot = body.Boot;
    if (boot === undefined) return;
    if (!isObject(boot)) throw new RedfishError(400, 'PropertyValueTypeError', 'The value for the property Boot is of a different type than the property can accept.', ['Boot']);
    for (const key of Object.keys(boot)) {
      if (key !== 'BootSourceOverrideTarget' && key !== 'BootSourceOverrideEnabled') {
        throw new RedfishError(400, 'PropertyUnknown', `The property ${key} is not in the list of valid properties for the resource.`, [key]);
      }
    }
    const target = inList(boot.BootSourceOverrideTarget, Object.values(TARGETS), 'BootSourceOverrideTarget');
    const enabled = inList(boot.BootSourceOverrideEnabled, OVERRIDE_MODES, 'BootSourceOverrideEnabled');
    const now = await this.options.chassis.state();
    const device = target ? (Object.keys(TARGETS) as BootDevice[]).find((d) => TARGETS[d] === target)! : now.boot;
    // A target set while the override is off turns it on for the next boot.
    const mode = enabled ?? (now.boot === 'none' ? 'Once' : now.bootMode === 'continuous' ? 'Continuous' : 'Once');
    this.options.log(`PATCH Boot: ${TARGETS[device]}, ${mode}`);
    await this.options.chassis.bootOverride(mode === 'Disabled' ? 'none' : device, mode === 'Continuous' ? 'continuous' : 'once');
  }

  private async reset(body: unknown): Promise<void> {
    const action = 'ComputerSystem.Reset';
    if (!isObject(body) || body.ResetType === undefined) {
      throw new RedfishError(400, 'ActionParameterMissing', `The action ${action} requires the parameter ResetType to be present in the request body.`, [action, 'ResetType']);
    }
    const type = body.ResetType;
    if (typeof type !== 'string' || !(RESET_TYPES as readonly string[]).includes(type)) {
      throw new RedfishError(400, 'ActionParameterValueNotInList', `The value ${JSON.stringify(type)} for the parameter ResetType in the action ${action} is not in the list of acceptable values.`, [
        String(type),
        'ResetType',
        action,
      ]);
    }
    this.options.log(`Reset: ${type}`);
    const chassis = this.options.chassis;
    const actions: Record<ResetType, () => Promise<void>> = {
      On: () => chassis.power('on'),
      ForceOn: () => chassis.power('on'),
      ForceOff: () => chassis.power('off'),
      GracefulShutdown: () => chassis.power('off'),
      ForceRestart: () => chassis.reset(),
      PowerCycle: () => chassis.cycle(),
    };
    await actions[type as ResetType]();
  }
}

function powerState(state: ChassisState): string {
  if (state.pending) return state.pending === 'on' ? 'PoweringOn' : 'PoweringOff';
  return state.power === 'on' ? 'On' : 'Off';
}

function inList(value: unknown, allowed: string[], property: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && allowed.includes(value)) return value;
  throw new RedfishError(400, 'PropertyValueNotInList', `The value ${JSON.stringify(value)} for the property ${property} is not in the list of acceptable values.`, [
    String(value),
    property,
  ]);
}

function parseJson(raw: string): unknown {
  try {
    return raw ? JSON.parse(raw) : {};
  } catch {
    throw new RedfishError(400, 'MalformedJSON', 'The request body submitted was malformed JSON and could not be parsed by the receiving service.');
  }
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new RedfishError(413, 'GeneralError', `The request body is larger than ${MAX_BODY} bytes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

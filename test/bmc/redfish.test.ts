import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BmcError, bmcFor } from '../../activities/bmc';
import { RedfishDriver, type RedfishOptions } from '../../activities/bmc/redfish';
import { nodeRecord } from '../support/records';
import { freePort, installRedfishEmulator, RedfishSim } from '../../sim/redfish';

// The Redfish driver against a real Redfish BMC emulator (sushy-tools' sushy-emulator with its
// fake systems driver, HTTP basic auth on), plus small local HTTP stubs for the answers the
// emulator cannot be made to give (5xx, no answer, a boot override that does not stick).

const PYTHON = '/usr/bin/python3';
const havePython = fs.existsSync(PYTHON);
if (!havePython) console.warn(`${PYTHON} is missing: skipping the Redfish driver tests (they need sushy-tools in a venv)`);
const maybe = havePython ? describe : describe.skip;

const PASSWORD = 'Redfish-Pass-42';

maybe('Redfish driver', () => {
  let dir: string;
  let sim: RedfishSim;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redfish-test-'));
    const emulator = await installRedfishEmulator();
    sim = await RedfishSim.start({ dir, emulator, username: 'admin', password: PASSWORD });
  }, 300000);

  afterAll(async () => {
    await sim?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  function driver(overrides: Record<string, unknown> = {}, options: Partial<RedfishOptions> = {}) {
    const info = { ...sim.driverInfo(sim.systems[0]), ...overrides } as ConstructorParameters<typeof RedfishDriver>[0];
    return new RedfishDriver(info, { nodeId: 'rack2-u11', attempts: 3, retryDelayMs: 10, timeoutSeconds: 10, powerWaitSeconds: 30, pollIntervalMs: 250, ...options });
  }

  /** What the emulator itself reports for a system, read without the driver. */
  async function systemAsEmulatorSees(id: string): Promise<Record<string, any>> {
    const res = await fetch(`${sim.address}/redfish/v1/Systems/${id}`, {
      headers: { Authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` },
    });
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, any>;
  }

  const statusLines = (status: number) =>
    fs
      .readFileSync(sim.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes(`HTTP/1.1`) && new RegExp(`" ${status} `).test(l)).length;

  test('powers the system on, cycles and off, waiting for and reading back each state', async () => {
    const bmc = driver();
    const system = sim.systems[0];
    expect(await bmc.powerStatus()).toBe('power off');
    await bmc.powerOff(); // already off: nothing is sent
    expect(sim.resets(system)).toEqual([]);

    // The fake systems driver applies power changes 1–11 s after the request; the driver waits.
    await bmc.powerOn();
    expect(await bmc.powerStatus()).toBe('power on');
    expect((await systemAsEmulatorSees(system.id)).PowerState).toBe('On');

    await bmc.powerCycle();
    expect(await bmc.powerStatus()).toBe('power on');

    await bmc.powerOff();
    expect(await bmc.powerStatus()).toBe('power off');
    expect((await systemAsEmulatorSees(system.id)).PowerState).toBe('Off');
    expect(sim.resets(system)).toEqual(['On', 'ForceRestart', 'ForceOff']);

    // A cycle of a system that is off powers it on.
    await bmc.powerCycle();
    expect(await bmc.powerStatus()).toBe('power on');
    expect(sim.resets(system)).toEqual(['On', 'ForceRestart', 'ForceOff', 'On']);
    await bmc.powerOff();
  }, 180000);

  test('sets PXE (and disk) as the boot device and confirms it', async () => {
    const bmc = driver();
    const system = sim.systems[0];
    await bmc.setBootDevice('pxe');
    expect((await systemAsEmulatorSees(system.id)).Boot.BootSourceOverrideTarget).toBe('Pxe');
    await bmc.setBootDevice('disk');
    expect((await systemAsEmulatorSees(system.id)).Boot.BootSourceOverrideTarget).toBe('Hdd');
    await bmc.setBootDevice('pxe');
    expect(sim.bootDeviceChanges(system)).toEqual(['Pxe', 'Hdd', 'Pxe']);
  });

  test('takes redfish_system_id as a full path or as the system id', async () => {
    const system = sim.systems[1];
    const byPath = driver({ redfish_system_id: `/redfish/v1/Systems/${system.id}` });
    expect(await byPath.powerStatus()).toBe('power off');
    await byPath.setBootDevice('pxe');
    expect((await systemAsEmulatorSees(system.id)).Boot.BootSourceOverrideTarget).toBe('Pxe');
    expect(await driver({ redfish_system_id: system.id }).powerStatus()).toBe('power off');
  });

  test('a system name the emulator redirects to the id is refused: redirects are not followed', async () => {
    const system = sim.systems[1];
    const err = await driver({ redfish_system_id: system.name }).powerStatus().catch((e) => e);
    expect(err).toBeInstanceOf(BmcError);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(`node rack2-u11: Redfish GET /redfish/v1/Systems/${system.name} at ${sim.address} failed: HTTP 307`);
    expect(err.message).toContain(`the BMC answered with a redirect to /redfish/v1/Systems/${system.id}; redirects are not followed`);
  });

  test('a wrong password fails at once, not retryable, naming node, operation and answer', async () => {
    const before = statusLines(401);
    const err = await driver({ redfish_password: 'Not-The-Password' }).powerStatus().catch((e) => e);
    expect(err).toBeInstanceOf(BmcError);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('node rack2-u11');
    expect(err.message).toContain(`Redfish GET /redfish/v1/Systems/${sim.systems[0].id}`);
    expect(err.message).toContain(sim.address);
    expect(err.message).toMatch(/HTTP 401.*Incorrect username or password/);
    expect(err.message).not.toMatch(/Not-The-Password|Redfish-Pass-42/);
    expect(statusLines(401) - before).toBe(1); // one request, no retries
  });

  test('a power action with a wrong password is refused the same way', async () => {
    const err = await driver({ redfish_password: 'Not-The-Password' }).powerOn().catch((e) => e);
    expect(err).toBeInstanceOf(BmcError);
    expect(err.retryable).toBe(false);
    expect(err.message).not.toContain('Not-The-Password');
  });

  test('an unknown system id is a non-retryable 404 carrying the BMC message', async () => {
    const before = statusLines(404);
    const err = await driver({ redfish_system_id: 'no-such-system' }).setBootDevice('pxe').catch((e) => e);
    expect(err).toBeInstanceOf(BmcError);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('node rack2-u11: Redfish GET /redfish/v1/Systems/no-such-system');
    expect(err.message).toMatch(/HTTP 404.*Fake system no-such-system was not found/);
    expect(statusLines(404) - before).toBe(1);
  });

  test('a BMC that does not answer is retried a bounded number of times', async () => {
    const port = await freePort();
    const started = Date.now();
    const err = await driver({ redfish_address: `http://127.0.0.1:${port}` }, { attempts: 2 }).powerStatus().catch((e) => e);
    expect(err).toBeInstanceOf(BmcError);
    expect(err.retryable).toBe(true);
    expect(err.message).toContain(`node rack2-u11: Redfish GET /redfish/v1/Systems/${sim.systems[0].id} at http://127.0.0.1:${port}`);
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.message).toMatch(/after 2 attempts/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('bmcFor gives the Redfish driver for a node with driver redfish', async () => {
    const bmc = bmcFor(nodeRecord('redfish', sim.driverInfo(sim.systems[0])), { defaultCipherSuite: 3, retryDelayMs: 10 });
    expect(bmc).toBeInstanceOf(RedfishDriver);
    expect(['power on', 'power off']).toContain(await bmc.powerStatus());
  });
});


describe('Redfish driver settings', () => {
  const info = (overrides: Record<string, unknown>) =>
    nodeRecord('redfish', { redfish_address: 'https://192.0.2.10', redfish_system_id: '1', redfish_username: 'u', redfish_password: 'Very-Secret', ...overrides });

  test('redfish_verify_ca=false is refused with a clear, non-retryable error for https', () => {
    for (const value of [false, 'false', 'no']) {
      let err: unknown;
      try {
        bmcFor(info({ redfish_verify_ca: value }), { defaultCipherSuite: 3 });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BmcError);
      expect((err as BmcError).retryable).toBe(false);
      expect((err as BmcError).message).toMatch(/node rack4-u02: driver_info.redfish_verify_ca=false .*not supported yet/);
    }
    expect(() => bmcFor(info({ redfish_verify_ca: '/etc/ssl/bmc-ca.pem' }), { defaultCipherSuite: 3 })).toThrow(/CA bundle path is not supported yet/);
    expect(bmcFor(info({ redfish_verify_ca: true }), { defaultCipherSuite: 3 })).toBeInstanceOf(RedfishDriver);
    expect(bmcFor(info({ redfish_verify_ca: 'True' }), { defaultCipherSuite: 3 })).toBeInstanceOf(RedfishDriver);
    // Plain http has no certificate to verify.
    expect(bmcFor(info({ redfish_address: 'http://192.0.2.10', redfish_verify_ca: false }), { defaultCipherSuite: 3 })).toBeInstanceOf(RedfishDriver);
  });

  test('credentials in redfish_address are refused without echoing them', () => {
    expect(() => bmcFor(info({ redfish_address: 'https://root:Very-Secret@192.0.2.10' }), { defaultCipherSuite: 3 })).toThrow(
      /redfish_address: must not carry credentials/,
    );
    try {
      bmcFor(info({ redfish_address: 'https://root:Very-Secret@192.0.2.10' }), { defaultCipherSuite: 3 });
    } catch (e) {
      expect((e as Error).message).not.toContain('Very-Secret');
    }
  });

  test('driver_info that is not Redfish driver_info is invalid input', () => {
    expect(() => bmcFor(nodeRecord('redfish', { redfish_address: 'not a url', redfish_system_id: '1' }), { defaultCipherSuite: 3 })).toThrow(/driver_info/);
  });

  test('a system id or address that would lead elsewhere is refused before any request', () => {
    const info = { redfish_address: 'https://192.0.2.10', redfish_system_id: '1', redfish_username: 'u', redfish_password: 'Very-Secret' };
    const direct = (overrides: Record<string, unknown>) => () => new RedfishDriver({ ...info, ...overrides }, { nodeId: 'rf-node' });
    expect(direct({ redfish_system_id: '//evil.example/x' })).toThrow(/^node rf-node: driver_info\.redfish_system_id: must be a system id/);
    expect(direct({ redfish_system_id: '/redfish/v1/Systems/../../x' })).toThrow(/driver_info\.redfish_system_id/);
    expect(direct({ redfish_address: 'https://192.0.2.10/?then=https://evil.example' })).toThrow(/driver_info\.redfish_address: must not have a query or fragment/);
    expect(direct({ redfish_address: 'file:///etc/passwd' })).toThrow(/driver_info\.redfish_address: must be an http:\/\/ or https:\/\/ URL/);
  });
});

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A local HTTP server answering with `handler`; records every request. */
async function stubBmc(handler: (req: Seen, res: http.ServerResponse, n: number) => void) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const r = { method: req.method!, url: req.url!, headers: req.headers, body };
      seen.push(r);
      handler(r, res, seen.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `http://127.0.0.1:${port}`,
    seen,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const SYSTEM = (power: string, boot = 'None') => ({
  Id: 'sys1',
  PowerState: power,
  Boot: { BootSourceOverrideTarget: boot, BootSourceOverrideEnabled: 'Disabled', 'BootSourceOverrideTarget@Redfish.AllowableValues': ['Pxe', 'Hdd'] },
  Actions: { '#ComputerSystem.Reset': { target: '/redfish/v1/Systems/sys1/Actions/ComputerSystem.Reset', 'ResetType@Redfish.AllowableValues': ['On', 'ForceOff', 'PowerCycle'] } },
});

describe('Redfish driver against stub answers', () => {
  const stubDriver = (address: string, options: Partial<RedfishOptions> = {}) =>
    new RedfishDriver(
      { redfish_address: address, redfish_system_id: 'sys1', redfish_username: 'root', redfish_password: 'Very-Secret' },
      { nodeId: 'n9', attempts: 3, retryDelayMs: 10, timeoutSeconds: 5, powerWaitSeconds: 5, pollIntervalMs: 50, ...options },
    );

  test('a busy BMC (5xx) is retried, and the credentials travel only in the Authorization header', async () => {
    const bmc = await stubBmc((_req, res, n) =>
      n < 3 ? json(res, 503, { error: { code: 'Base.1.0.GeneralError', message: 'Service busy', '@Message.ExtendedInfo': [{ Message: 'Try again later.' }] } }) : json(res, 200, SYSTEM('On')),
    );
    try {
      expect(await stubDriver(bmc.address).powerStatus()).toBe('power on');
      expect(bmc.seen).toHaveLength(3);
      for (const r of bmc.seen) {
        expect(r.url).toBe('/redfish/v1/Systems/sys1');
        expect(r.url).not.toContain('Very-Secret');
        expect(r.headers.authorization).toBe(`Basic ${Buffer.from('root:Very-Secret').toString('base64')}`);
      }
    } finally {
      await bmc.close();
    }
  });

  test('a BMC that stays broken fails retryable after the bounded attempts, with what it said', async () => {
    const bmc = await stubBmc((_req, res) =>
      json(res, 500, { error: { code: 'Base.1.0.InternalError', message: 'Internal error', '@Message.ExtendedInfo': [{ MessageId: 'Base.1.0.InternalError', Message: 'The BMC hit an internal error.' }] } }),
    );
    try {
      const err = await stubDriver(bmc.address, { attempts: 2 }).powerStatus().catch((e) => e);
      expect(err).toBeInstanceOf(BmcError);
      expect(err.retryable).toBe(true);
      expect(err.message).toMatch(/node n9: Redfish GET \/redfish\/v1\/Systems\/sys1 .*HTTP 500.*Internal error; The BMC hit an internal error\. \(after 2 attempts\)/);
      expect(bmc.seen).toHaveLength(2);
    } finally {
      await bmc.close();
    }
  });

  test('a BMC that accepts the connection but never answers times out', async () => {
    const bmc = await stubBmc(() => undefined);
    try {
      const err = await stubDriver(bmc.address, { attempts: 2, timeoutSeconds: 0.5 }).powerStatus().catch((e) => e);
      expect(err).toBeInstanceOf(BmcError);
      expect(err.retryable).toBe(true);
      expect(err.message).toMatch(/no answer within 0.5 s \(after 2 attempts\)/);
      expect(bmc.seen).toHaveLength(2);
    } finally {
      await bmc.close();
    }
  });

  test('uses the Reset target and allowed ResetTypes the system lists, and waits for the state', async () => {
    let power = 'On';
    const bmc = await stubBmc((req, res) => {
      if (req.method === 'POST') {
        const type = JSON.parse(req.body).ResetType;
        power = type === 'ForceOff' ? 'Off' : 'On';
        res.writeHead(204).end();
      } else json(res, 200, SYSTEM(power));
    });
    try {
      const driver = stubDriver(bmc.address);
      await driver.powerCycle();
      await driver.powerOff();
      const posts = bmc.seen.filter((r) => r.method === 'POST');
      expect(posts.map((r) => [r.url, JSON.parse(r.body).ResetType])).toEqual([
        ['/redfish/v1/Systems/sys1/Actions/ComputerSystem.Reset', 'PowerCycle'],
        ['/redfish/v1/Systems/sys1/Actions/ComputerSystem.Reset', 'ForceOff'],
      ]);
    } finally {
      await bmc.close();
    }
  });

  test('a power state the system never reaches is reported, not assumed', async () => {
    const bmc = await stubBmc((req, res) => (req.method === 'POST' ? res.writeHead(204).end() : json(res, 200, SYSTEM('On'))));
    try {
      const err = await stubDriver(bmc.address, { powerWaitSeconds: 0.3 }).powerOff().catch((e) => e);
      expect(err).toBeInstanceOf(BmcError);
      expect(err.retryable).toBe(true);
      expect(err.message).toMatch(/node n9: Redfish POST \/redfish\/v1\/Systems\/sys1\/Actions\/ComputerSystem.Reset .*BMC accepted ResetType ForceOff but reports PowerState "On"/);
    } finally {
      await bmc.close();
    }
  });

  test('a boot device the BMC did not take is reported, not assumed', async () => {
    const bmc = await stubBmc((req, res) => (req.method === 'PATCH' ? res.writeHead(204).end() : json(res, 200, SYSTEM('Off', 'Hdd'))));
    try {
      await expect(stubDriver(bmc.address).setBootDevice('pxe')).rejects.toThrow(
        /node n9: Redfish PATCH \/redfish\/v1\/Systems\/sys1 .*BMC accepted the change but reports boot device "Hdd" \(override Disabled\)/,
      );
      const patch = bmc.seen.find((r) => r.method === 'PATCH')!;
      expect(JSON.parse(patch.body)).toEqual({ Boot: { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once' } });
      expect(patch.headers['content-type']).toBe('application/json');
    } finally {
      await bmc.close();
    }
  });

  const BASIC = Buffer.from('root:Very-Secret').toString('base64');

  test('a redirect to another host is not followed: that host gets no request, no credentials', async () => {
    const elsewhere = await stubBmc((_req, res) => json(res, 200, SYSTEM('On')));
    const port = new URL(elsewhere.address).port;
    const bmc = await stubBmc((req, res) => {
      res.writeHead(307, { Location: `http://thief:Loc-Secret@127.0.0.1:${port}${req.url}?token=Loc-Token` }).end();
    });
    try {
      const err = await stubDriver(bmc.address).powerStatus().catch((e) => e);
      expect(err).toBeInstanceOf(BmcError);
      expect(err.retryable).toBe(false);
      expect(err.message).toBe(
        `node n9: Redfish GET /redfish/v1/Systems/sys1 at ${bmc.address} failed: HTTP 307 Temporary Redirect: the BMC answered with a redirect ` +
          `to another address, http://127.0.0.1:${port}; redirects are not followed: set redfish_address and redfish_system_id to where the BMC serves the system`,
      );
      expect(err.message).not.toMatch(/Loc-Secret|Loc-Token|thief|Very-Secret/);
      expect(bmc.seen).toHaveLength(1); // not retried
      expect(elsewhere.seen).toHaveLength(0);
    } finally {
      await bmc.close();
      await elsewhere.close();
    }
  });

  test('a Reset target the BMC names elsewhere is replaced by the standard path on redfish_address', async () => {
    const elsewhere = await stubBmc((_req, res) => res.writeHead(204).end());
    const targets = [
      `${elsewhere.address}/redfish/v1/Systems/sys1/Actions/ComputerSystem.Reset`,
      `//127.0.0.1:${new URL(elsewhere.address).port}/redfish/v1/Systems/sys1/Actions/ComputerSystem.Reset`,
      '/redfish/v1/Systems/sys1/Actions/../../../../x/ComputerSystem.Reset',
      '/redfish/v1/Systems/sys1/Actions/ComputerSystem.Reset?redirect=elsewhere',
      '/other/Systems/sys1/Actions/ComputerSystem.Reset',
    ];
    let power = 'Off';
    let target = '';
    const bmc = await stubBmc((req, res) => {
      if (req.method === 'POST') {
        power = 'On';
        return res.writeHead(204).end();
      }
      const system = SYSTEM(power);
      system.Actions['#ComputerSystem.Reset'].target = target;
      json(res, 200, system);
    });
    try {
      for (target of targets) {
        power = 'Off';
        await stubDriver(bmc.address).powerOn();
      }
      // a target of this BMC, under /redfish/v1/ (here as a full URL), is taken as named
      target = `${bmc.address}/redfish/v1/Systems/sys1/Actions/Oem/Vendor.Reset`;
      power = 'Off';
      await stubDriver(bmc.address).powerOn();
      const posts = bmc.seen.filter((r) => r.method === 'POST').map((r) => r.url);
      expect(posts).toEqual([...targets.map(() => '/redfish/v1/Systems/sys1/Actions/ComputerSystem.Reset'), '/redfish/v1/Systems/sys1/Actions/Oem/Vendor.Reset']);
      expect(elsewhere.seen).toHaveLength(0);
    } finally {
      await bmc.close();
      await elsewhere.close();
    }
  });

  test('an error page is not copied into the message, nor is the password or the Authorization value', async () => {
    const page = `<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Internal Server Error</h1><pre>
      request: GET /redfish/v1/Systems/sys1 Authorization: Basic ${BASIC} password=Very-Secret
      ${'Traceback (most recent call last): ...\n'.repeat(100)}</pre></body></html>`;
    const bmc = await stubBmc((_req, res) => {
      res.writeHead(500, { 'Content-Type': 'text/html' });
      res.end(page);
    });
    try {
      const err = await stubDriver(bmc.address, { attempts: 2 }).powerStatus().catch((e) => e);
      expect(err).toBeInstanceOf(BmcError);
      expect(err.message).toBe(`node n9: Redfish GET /redfish/v1/Systems/sys1 at ${bmc.address} failed: HTTP 500 Internal Server Error (after 2 attempts)`);
    } finally {
      await bmc.close();
    }
  });

  test('a Redfish error message is kept, cut short, with the password and Authorization value redacted', async () => {
    const message = `Login as root with Very-Secret (Basic ${BASIC}) refused\r\n${'x'.repeat(500)}`;
    const bmc = await stubBmc((_req, res) => json(res, 403, { error: { code: 'Base.1.0.InsufficientPrivilege', message } }));
    try {
      const err = await stubDriver(bmc.address).powerStatus().catch((e) => e);
      expect(err).toBeInstanceOf(BmcError);
      expect(err.retryable).toBe(false);
      expect(err.message).toContain('HTTP 403 Forbidden: Login as root with ****** (Basic ******) refused xxx');
      expect(err.message).not.toMatch(/Very-Secret|[\r\n]/);
      expect(err.message).not.toContain(BASIC);
      const said = err.message.slice(err.message.indexOf('HTTP 403 Forbidden: ') + 'HTTP 403 Forbidden: '.length);
      expect(said.length).toBeLessThanOrEqual(200);
    } finally {
      await bmc.close();
    }
  });
});

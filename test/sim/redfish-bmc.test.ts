// A simulated rack's Redfish BMCs (sim/redfish-bmc.ts) against the project's Redfish driver and
// as plain HTTP: Once overrides consumed by the boot they apply to, power that takes time, the
// HTTP rules a real BMC keeps, and unkind BMCs.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BmcError } from '../../activities/bmc';
import { RedfishDriver, type RedfishOptions } from '../../activities/bmc/redfish';
import { Chassis } from '../../sim/chassis';
import { driverFor, SimRack, type SimNode } from '../../sim/rack';
import { waitFor } from '../support/stack';
import { chassisLog, describeWithRack, startBootService } from './support';
import { basicAuthorization } from '../../cli/credentials';

describeWithRack('Redfish nodes of a simulated rack', () => {
  let dir: string;
  let rack: SimRack;
  let boot: Awaited<ReturnType<typeof startBootService>>;
  let plain: SimNode;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-redfish-'));
    boot = await startBootService();
    rack = await SimRack.start({
      dir,
      count: 4,
      prefix: 'fb',
      net: 72,
      inspectorPort: boot.port,
      powerDelaySeconds: 1,
      bootOverrideExpirySeconds: 1, // IPMI's; Redfish has none
      redfish: 'all',
      busy: { 2: 2 },
      flaky: { 3: 1 },
      slow: { 4: 300 },
    });
    plain = rack.nodes[0];
  }, 120000);
  afterAll(async () => {
    await rack?.stop();
    await boot?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function driver(node: SimNode, options: Partial<RedfishOptions> = {}) {
    const { driver_info } = driverFor(node);
    return new RedfishDriver(driver_info as ConstructorParameters<typeof RedfishDriver>[0], {
      nodeId: node.name,
      attempts: 3,
      retryDelayMs: 10,
      timeoutSeconds: 10,
      powerWaitSeconds: 30,
      pollIntervalMs: 100,
      ...options,
    });
  }

  const url = (node: SimNode, route = '') => `http://${node.bmcAddress}:${node.bmcPort}/redfish/v1${route}`;
  const auth = (node: SimNode) => ({ Authorization: basicAuthorization(node) });
  const json = async (res: Response): Promise<any> => res.json();
  const system = async (node: SimNode) => {
    const res = await fetch(url(node, `/Systems/${node.systemId}`), { headers: auth(node) });
    return { status: res.status, etag: res.headers.get('etag'), body: await json(res) };
  };
  const pxeBootsOf = (node: SimNode) => boot.asked.filter((u) => u === `/boot/${node.mac.replace(/:/g, '-')}.ipxe`).length;

  test('enrolls with driver redfish: the address, the system Id and the credentials', () => {
    expect(driverFor(plain, 'other')).toEqual({
      driver: 'redfish',
      driver_info: { redfish_address: `http://127.0.72.11:8000`, redfish_system_id: 'System.Embedded.1', redfish_username: 'admin', redfish_password: 'other' },
    });
  });

  test('the driver sets a Once PXE override and powers on; that boot consumes it, the next boots from disk', async () => {
    const bmc = driver(plain);
    expect(await bmc.powerStatus()).toBe('power off');
    await bmc.setBootDevice('pxe');
    expect((await system(plain)).body.Boot).toMatchObject({ BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once' });
    await new Promise((resolve) => setTimeout(resolve, 1500)); // longer than the rack's IPMI expiry: Redfish keeps it
    expect((await system(plain)).body.Boot.BootSourceOverrideEnabled).toBe('Once');

    await bmc.powerOn(); // waits through PoweringOn
    expect((await system(plain)).body).toMatchObject({ PowerState: 'On', Boot: { BootSourceOverrideTarget: 'None', BootSourceOverrideEnabled: 'Disabled' } });
    await waitFor('the firmware to ask for its boot script', async () => (pxeBootsOf(plain) === 1 ? true : undefined), 15000);

    await bmc.powerOff();
    expect(await bmc.powerStatus()).toBe('power off');
    expect(rack.agentRunning(plain)).toBe(false);
    await bmc.powerCycle(); // of a system that is off: On
    expect(await bmc.powerStatus()).toBe('power on');
    expect(chassisLog(plain)).toMatch(/power 1\n.*booted from disk: no PXE override \(boot device none\)\n$/);
    expect(pxeBootsOf(plain)).toBe(1);

    await bmc.setBootDevice('pxe');
    await bmc.powerCycle(); // of a system that is on: ForceRestart
    expect(chassisLog(plain)).toMatch(/reset\n.*firmware started.*\n$/);
    expect(fs.readFileSync(path.join(plain.dir, 'bmc.log'), 'utf8')).toMatch(/Reset: On\n.*Reset: ForceOff\n.*Reset: On\n.*PATCH Boot: Pxe, Once\n.*Reset: ForceRestart\n$/);
    await bmc.powerOff();
  }, 60000);

  test('PowerState is PoweringOn/PoweringOff while a change is on its way; PowerCycle passes through Off', async () => {
    const chassis = new Chassis(plain.dir);
    chassis.configure({ powerDelaySeconds: 600, bootOverrideExpirySeconds: 0 });
    const reset = (ResetType: string) =>
      fetch(url(plain, `/Systems/${plain.systemId}/Actions/ComputerSystem.Reset`), { method: 'POST', headers: auth(plain), body: JSON.stringify({ ResetType }) });
    try {
      expect((await reset('On')).status).toBe(204);
      expect((await system(plain)).body.PowerState).toBe('PoweringOn');
      expect((await reset('ForceOff')).status).toBe(204);
      expect((await system(plain)).body.PowerState).toBe('Off');
    } finally {
      chassis.configure({ powerDelaySeconds: 0.5, bootOverrideExpirySeconds: 0 });
    }
    await reset('On');
    await waitFor('On', async () => ((await system(plain)).body.PowerState === 'On' ? true : undefined), 10000, 50);
    await reset('PowerCycle');
    await waitFor('the cycle to end', async () => ((await system(plain)).body.PowerState === 'On' && /power 1\n.*booted from disk.*\n$/.test(chassisLog(plain)) ? true : undefined), 10000, 50);
    expect(chassisLog(plain)).toMatch(/power 0 requested.*\n.*power 0\n(.*stopped what the node ran\n)?.*power 1 requested.*\n.*power 1\n.*booted from disk.*\n$/);
    await driver(plain).powerOff();
  }, 30000);

  test('HTTP as a BMC speaks it: basic auth, ETag and If-Match, DMTF error bodies', async () => {
    const root = await fetch(url(plain));
    expect(root.status).toBe(200);
    expect(await json(root)).toMatchObject({ Systems: { '@odata.id': '/redfish/v1/Systems' } });

    const anonymous = await fetch(url(plain, '/Systems'));
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(await json(anonymous)).toMatchObject({ error: { code: 'Base.1.8.NoValidSession', '@Message.ExtendedInfo': [{ MessageId: 'Base.1.8.NoValidSession' }] } });
    const members = await json(await fetch(url(plain, '/Systems'), { headers: auth(plain) }));
    expect(members.Members).toEqual([{ '@odata.id': `/redfish/v1/Systems/${plain.systemId}` }]);

    const before = await system(plain);
    expect(before.etag).toMatch(/^"[0-9a-f]{16}"$/);
    const patch = (etag: string, body: unknown) =>
      fetch(url(plain, `/Systems/${plain.systemId}`), { method: 'PATCH', headers: { ...auth(plain), 'If-Match': etag, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const stale = await patch('"0000000000000000"', { Boot: { BootSourceOverrideTarget: 'Pxe' } });
    expect(stale.status).toBe(412);
    expect((await json(stale)).error.code).toBe('Base.1.8.PreconditionFailed');
    const wrongValue = await patch(before.etag!, { Boot: { BootSourceOverrideTarget: 'Floppy' } });
    expect(wrongValue.status).toBe(400);
    expect((await json(wrongValue)).error['@Message.ExtendedInfo'][0]).toMatchObject({ MessageId: 'Base.1.8.PropertyValueNotInList', MessageArgs: ['Floppy', 'BootSourceOverrideTarget'] });
    const continuous = await patch(before.etag!, { Boot: { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Continuous' } });
    expect(continuous.status).toBe(200);
    expect(continuous.headers.get('etag')).not.toBe(before.etag);
    const disabled = await patch(continuous.headers.get('etag')!, { Boot: { BootSourceOverrideEnabled: 'Disabled' } });
    expect((await json(disabled)).Boot).toMatchObject({ BootSourceOverrideTarget: 'None', BootSourceOverrideEnabled: 'Disabled' });

    const missing = await fetch(url(plain, '/Systems/no-such-system'), { headers: auth(plain) });
    expect(missing.status).toBe(404);
    expect((await json(missing)).error.code).toBe('Base.1.8.ResourceMissingAtURI');
    const err = await driver({ ...plain, password: 'Not-The-Password' }, { attempts: 1 }).powerStatus().catch((e) => e);
    expect(err).toBeInstanceOf(BmcError);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('HTTP 401 Unauthorized: There is no valid session established with the implementation.');
  });

  test('a busy BMC answers 503 with Retry-After; the driver waits and tries again', async () => {
    const busy = rack.nodes[1];
    const first = await fetch(url(busy, `/Systems/${busy.systemId}`), { headers: auth(busy) });
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('1');
    expect((await json(first)).error.code).toBe('Base.1.8.ServiceTemporarilyUnavailable');
    expect(await driver(busy).powerStatus()).toBe('power off'); // the second 503, then an answer
    expect(fs.readFileSync(path.join(busy.dir, 'bmc.log'), 'utf8').match(/busy: answered GET \/redfish\/v1\/Systems\/System.Embedded.1 with 503/g)).toHaveLength(2);
  });

  test('a flaky BMC that drops every connection: no answer, retryable', async () => {
    const flaky = rack.nodes[2];
    const err = await driver(flaky, { attempts: 2 }).powerStatus().catch((e) => e);
    expect(err).toBeInstanceOf(BmcError);
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/Redfish GET \/redfish\/v1\/Systems\/System\.Embedded\.1 at http:\/\/127\.0\.72\.13:8000 failed: no answer: other side closed \(after 2 attempts\)$/);
    expect(fs.readFileSync(path.join(flaky.dir, 'bmc.log'), 'utf8').match(/flaky: dropped the connection/g)).toHaveLength(2);
  });

  test('a slow BMC answers every request 300 ms later', async () => {
    const started = Date.now();
    expect(await driver(rack.nodes[3]).powerStatus()).toBe('power off');
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });
});

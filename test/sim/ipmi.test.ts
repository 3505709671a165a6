// A simulated rack's IPMI BMCs as ipmitool (run as the project's driver runs it) sees them:
// boot overrides for the next boot only that expire, power that takes time, and unkind BMCs.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Chassis } from '../../sim/chassis';
import { SimRack, type SimNode } from '../../sim/rack';
import { waitFor } from '../support/stack';
import { chassisLog, describeWithRack, ipmitool, startBootService } from './support';

const EXPIRY_SECONDS = 6;

describeWithRack('IPMI nodes of a simulated rack', () => {
  let dir: string;
  let rack: SimRack;
  let boot: Awaited<ReturnType<typeof startBootService>>;
  let plain: SimNode;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-ipmi-'));
    boot = await startBootService();
    rack = await SimRack.start({
      dir,
      count: 4,
      prefix: 'fa',
      net: 71,
      inspectorPort: boot.port,
      powerDelaySeconds: 1,
      bootOverrideExpirySeconds: EXPIRY_SECONDS,
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

  const selector = async (node: SimNode) => /Boot Device Selector : (.*)/.exec((await ipmitool(node, 'chassis', 'bootparam', 'get', '5')).output)?.[1];
  const power = async (node: SimNode, state: 'on' | 'off') =>
    waitFor(`${node.name} power ${state}`, async () => ((await ipmitool(node, 'power', 'status')).output.includes(`Chassis Power is ${state}`) ? true : undefined), 15000, 100);
  const pxeBootsOf = (node: SimNode) => boot.asked.filter((url) => url === `/boot/${node.mac.replace(/:/g, '-')}.ipxe`).length;

  test('power status reports the old state while a power change is on its way', async () => {
    const chassis = new Chassis(plain.dir);
    chassis.configure({ powerDelaySeconds: 600, bootOverrideExpirySeconds: EXPIRY_SECONDS });
    try {
      expect(await ipmitool(plain, 'power', 'on')).toMatchObject({ code: 0, output: expect.stringContaining('Chassis Power Control: Up/On') });
      expect((await ipmitool(plain, 'power', 'status')).output).toContain('Chassis Power is off');
      expect(await chassis.state()).toMatchObject({ power: 'off', pending: 'on' });
      await ipmitool(plain, 'power', 'off');
      expect(await chassis.state()).toMatchObject({ power: 'off', pending: null });
    } finally {
      chassis.configure({ powerDelaySeconds: 1, bootOverrideExpirySeconds: EXPIRY_SECONDS });
    }
  });

  test('chassis bootdev pxe holds for the next boot only: that boot runs the firmware, the next one boots from disk', async () => {
    expect(await selector(plain)).toBe('No override');
    expect(await ipmitool(plain, 'chassis', 'bootdev', 'pxe')).toMatchObject({ code: 0, output: expect.stringContaining('Set Boot Device to pxe') });
    expect(await selector(plain)).toBe('Force PXE');
    await ipmitool(plain, 'power', 'on');
    await power(plain, 'on');
    expect(await selector(plain)).toBe('No override');
    await waitFor('the firmware to ask for its boot script', async () => (pxeBootsOf(plain) === 1 ? true : undefined), 15000);
    expect(chassisLog(plain)).toMatch(/boot device pxe \(next boot only\)\n.*power 1 requested: takes 1 s\n.*power 1\n.*firmware started/);

    await ipmitool(plain, 'power', 'off');
    await power(plain, 'off');
    await ipmitool(plain, 'power', 'on');
    await power(plain, 'on');
    expect(chassisLog(plain)).toMatch(/power 1\n.*booted from disk: no PXE override \(boot device none\)\n$/);
    expect(rack.agentRunning(plain)).toBe(false);
    expect(pxeBootsOf(plain)).toBe(1);
  }, 60000);

  test('power cycle and power reset are boots that consume the override', async () => {
    const firmwareStarts = () => chassisLog(plain).match(/firmware started/g)?.length ?? 0;
    const before = firmwareStarts();
    await ipmitool(plain, 'chassis', 'bootdev', 'pxe');
    expect(await ipmitool(plain, 'power', 'cycle')).toMatchObject({ code: 0, output: expect.stringContaining('Chassis Power Control: Cycle') });
    await waitFor('the cycle to boot the firmware', async () => (firmwareStarts() === before + 1 ? true : undefined), 15000);
    expect(chassisLog(plain)).toMatch(/power 0\n.*power 1 requested.*\n.*power 1\n.*firmware started.*\n$/);
    expect(await selector(plain)).toBe('No override');

    await ipmitool(plain, 'chassis', 'bootdev', 'pxe');
    expect(await ipmitool(plain, 'power', 'reset')).toMatchObject({ code: 0, output: expect.stringContaining('Chassis Power Control: Reset') });
    expect(firmwareStarts()).toBe(before + 2);
    expect(chassisLog(plain)).toMatch(/reset\n.*stopped what the node ran\n.*firmware started.*\n$/);
  }, 60000);

  test(`an override no boot used expires after ${EXPIRY_SECONDS} s`, async () => {
    await ipmitool(plain, 'chassis', 'bootdev', 'pxe');
    await waitFor('the override to expire', async () => ((await selector(plain)) === 'No override' ? true : undefined), 15000, 250);
    expect(chassisLog(plain)).toMatch(new RegExp(`boot override pxe expired: no boot within ${EXPIRY_SECONDS} s\n$`));
    await ipmitool(plain, 'power', 'reset');
    expect(chassisLog(plain)).toMatch(/booted from disk: no PXE override \(boot device none\)\n$/);
  }, 30000);

  test('a busy BMC answers chassis requests with completion code 0xC0 "Node busy", then works', async () => {
    const busy = rack.nodes[1];
    for (let i = 0; i < 2; i++) {
      const answer = await ipmitool(busy, 'power', 'status');
      expect(answer.code).toBe(1);
      expect(answer.output).toContain('Get Chassis Power Status failed: Node busy');
    }
    expect(await ipmitool(busy, 'power', 'status')).toMatchObject({ code: 0, output: expect.stringContaining('Chassis Power is off') });
    expect(fs.readFileSync(path.join(busy.dir, 'bmc.log'), 'utf8').match(/busy: answered netfn 0x0 cmd 0x1 with 0xc0/g)).toHaveLength(2);
  });

  test('a flaky BMC that loses every datagram: no session', async () => {
    const flaky = rack.nodes[2];
    const answer = await ipmitool(flaky, 'power', 'status');
    expect(answer.code).toBe(1);
    expect(answer.output).toContain('Error: Unable to establish IPMI v2 / RMCP+ session');
    expect(fs.readFileSync(path.join(flaky.dir, 'bmc.log'), 'utf8')).toMatch(/flaky: dropped a datagram from [\d.]+:\d+/);
  }, 30000);

  test('a slow BMC answers every request 300 ms later', async () => {
    const started = Date.now();
    expect((await ipmitool(rack.nodes[3], 'power', 'status')).output).toContain('Chassis Power is off');
    // A session and a command are at least 5 requests (auth capabilities, open, RAKP 1 and 3, the command).
    expect(Date.now() - started).toBeGreaterThanOrEqual(5 * 300);
  }, 30000);
});

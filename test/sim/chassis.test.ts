// The simulated chassis (sim/chassis-control.sh through sim/chassis.ts), without a BMC in front:
// power that takes time, boot overrides consumed by the next boot and expiring, what a boot runs.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Chassis, type ChassisSettings } from '../../sim/chassis';
import { removeRack } from '../../sim/cleanup';
import { waitFor } from '../support/stack';

let root: string;
let dir: string;
let chassis: Chassis;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'chassis-'));
});
afterAll(async () => {
  await removeRack(root, 'fz');
  fs.rmSync(root, { recursive: true, force: true });
});

let nodes = 0;
/** A fresh node whose "firmware" records each boot and then runs until it is killed. */
function freshNode(settings: ChassisSettings): void {
  dir = path.join(root, `fz-node-${String(++nodes).padStart(2, '0')}`);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'boot.sh'), `echo booted >>'${dir}/boots'\nexec sleep 1000\n`);
  chassis = new Chassis(dir);
  chassis.configure(settings);
}

const log = () => fs.readFileSync(path.join(dir, 'chassis.log'), 'utf8');
const boots = () => (fs.existsSync(path.join(dir, 'boots')) ? fs.readFileSync(path.join(dir, 'boots'), 'utf8').split('\n').filter(Boolean).length : 0);
/** The firmware is detached: it records its boot a moment after the chassis started it. */
const booted = (n: number) => waitFor(`${n} boots`, async () => (boots() === n ? true : undefined), 10000, 20);
const settled = (power: 'on' | 'off') =>
  waitFor(`power ${power}`, async () => {
    const state = await chassis.state();
    return state.power === power && !state.pending ? state : undefined;
  }, 10000, 50);

test('a power change is under way for the power delay: the old state until then, the new one is pending', async () => {
  freshNode({ powerDelaySeconds: 600, bootOverrideExpirySeconds: 0 });
  await chassis.power('on');
  expect(await chassis.state()).toMatchObject({ power: 'off', pending: 'on' });
  expect(chassis.powerState()).toBe('off');
  await chassis.power('on'); // the same request again changes nothing
  await chassis.power('off'); // a later request replaces the one under way
  expect(await chassis.state()).toMatchObject({ power: 'off', pending: null });
  expect(log()).toMatch(/power 1 requested: takes 600 s\n.*power 1 cancelled by a later request\n$/);
  expect(fs.existsSync(path.join(dir, 'pending'))).toBe(false);
});

test('a PXE override applies to the next boot only: it runs the firmware, the boot after that is from disk', async () => {
  freshNode({ powerDelaySeconds: 0.2, bootOverrideExpirySeconds: 0 });
  await chassis.bootOverride('pxe', 'once');
  expect(await chassis.state()).toMatchObject({ boot: 'pxe', bootMode: 'once' });
  await chassis.power('on');
  expect(await settled('on')).toMatchObject({ boot: 'none' });
  await booted(1);
  expect(chassis.firmwareGroup()).not.toBeNull();

  await chassis.power('off');
  await settled('off');
  expect(chassis.firmwareGroup()).toBeNull();
  await chassis.power('on');
  await settled('on');
  expect(boots()).toBe(1);
  expect(chassis.firmwareGroup()).toBeNull();
  expect(log()).toMatch(
    /boot device pxe \(next boot only\)\n.*power 1 requested: takes 0.2 s\n.*power 1\n.*firmware started \(pgid \d+\)\n.*power 0 requested.*\n.*power 0\n.*stopped what the node ran\n.*power 1 requested.*\n.*power 1\n.*booted from disk: no PXE override \(boot device none\)\n$/,
  );
});

test('a continuous override stays for every boot; a disk override boots from disk', async () => {
  freshNode({ powerDelaySeconds: 0, bootOverrideExpirySeconds: 1 });
  await chassis.bootOverride('pxe', 'continuous');
  await chassis.power('on');
  await chassis.cycle();
  expect(await chassis.state()).toMatchObject({ power: 'on', boot: 'pxe', bootMode: 'continuous' });
  await booted(2);
  await chassis.bootOverride('default', 'once');
  await chassis.reset();
  expect(await chassis.state()).toMatchObject({ boot: 'none' });
  expect(chassis.firmwareGroup()).toBeNull();
  expect(log()).toMatch(/reset\n.*stopped what the node ran\n.*booted from disk: no PXE override \(boot device default\)\n$/);
});

test('power cycle and reset are boots; a reset of a node that is off does nothing', async () => {
  freshNode({ powerDelaySeconds: 0.2, bootOverrideExpirySeconds: 0 });
  await chassis.bootOverride('pxe', 'once');
  await chassis.reset();
  expect(await chassis.state()).toMatchObject({ power: 'off', boot: 'pxe' });
  expect(log()).toMatch(/reset ignored: power is off\n$/);

  await chassis.cycle(); // of a node that is off: it is powered on
  await settled('on');
  await booted(1);
  await chassis.bootOverride('pxe', 'once');
  await chassis.cycle();
  await settled('on');
  await booted(2);
  expect(log()).toMatch(/power 0 requested.*\n.*power 0\n.*stopped what the node ran\n.*power 1 requested.*\n.*power 1\n.*firmware started.*\n$/);
  await chassis.bootOverride('pxe', 'once');
  await chassis.reset();
  await booted(3);
  expect(await chassis.state()).toMatchObject({ power: 'on', boot: 'none' });
});

test('an override nobody booted from expires; a power-on on its way keeps it', async () => {
  freshNode({ powerDelaySeconds: 2, bootOverrideExpirySeconds: 1 });
  await chassis.bootOverride('pxe', 'once');
  await waitFor('the override to expire', async () => ((await chassis.state()).boot === 'none' ? true : undefined), 10000, 100);
  expect(log()).toMatch(/boot override pxe expired: no boot within 1 s\n$/);

  // The power-on takes 2 s, longer than the expiry: the override was read when it was asked for.
  freshNode({ powerDelaySeconds: 2, bootOverrideExpirySeconds: 1 });
  await chassis.bootOverride('pxe', 'once');
  await chassis.power('on');
  await settled('on');
  await booted(1);
  expect(log()).not.toMatch(/expired/);
});

test('injected failures count PXE boots only', async () => {
  freshNode({ powerDelaySeconds: 0, bootOverrideExpirySeconds: 0 });
  fs.writeFileSync(path.join(dir, 'fail-boots'), '1');
  await chassis.power('on'); // from disk: not a PXE boot
  await chassis.bootOverride('pxe', 'once');
  await chassis.reset();
  expect(log()).toMatch(/boot failed \(injected\): nothing started\n$/);
  await chassis.bootOverride('pxe', 'once');
  await chassis.reset();
  await booted(1);
  expect(log()).toMatch(/booted from disk[\s\S]*boot failed \(injected\)[\s\S]*firmware started/);
});

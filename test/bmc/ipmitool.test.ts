import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BmcError } from '../../activities/bmc';
import { IpmitoolDriver } from '../../activities/bmc/ipmitool';
import { SimRack, type SimNode } from '../../sim/rack';
import { waitFor } from '../support/stack';

// The ipmitool driver against a real IPMI BMC simulator (ipmi_sim on a loopback address).

let dir: string;
let rack: SimRack;
let node: SimNode;
let busyNode: SimNode;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bmc-test-'));
  // Power changes take 3 s, as on real chassis; node 2 answers its first 2 chassis commands "node busy".
  rack = await SimRack.start({ dir, count: 2, prefix: 'bmc', net: 33, inspectorPort: 1, failBoots: { 1: 1000 }, powerDelaySeconds: 3, busy: { 2: 2 } });
  [node, busyNode] = rack.nodes;
}, 60000);

afterAll(async () => {
  await rack?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function driver(overrides: { password?: string; address?: string; attempts?: number; node?: SimNode } = {}) {
  const target = overrides.node ?? node;
  return new IpmitoolDriver(
    {
      ipmi_address: overrides.address ?? target.bmcAddress,
      ipmi_port: target.bmcPort,
      ipmi_username: target.username,
      ipmi_password: overrides.password ?? target.password,
    },
    { nodeId: 'rack1-u07', defaultCipherSuite: 3, attempts: overrides.attempts ?? 3, retryDelayMs: 10, timeoutSeconds: 10 },
  );
}

test('power commands return before the chassis has changed; the BMC reports the change once it is made', async () => {
  const bmc = driver();
  const reaches = (state: string) => waitFor(state, async () => ((await bmc.powerStatus()) === state ? true : undefined), 20000);
  await bmc.powerOff();
  await reaches('power off');
  await bmc.powerOn();
  expect(await bmc.powerStatus()).toBe('power off'); // 3 s before the chassis is on
  await reaches('power on');
  expect(rack.powerState(node)).toBe('on');
  // a cycle is a boot: with PXE armed, the ramdisk's boot is tried (and fails, injected)
  await bmc.setBootDevice('pxe');
  await bmc.powerCycle();
  await waitFor('the PXE boot', async () => (/power 0\n(.*\n)*.*power 1\n.*boot failed \(injected\)/.test(fs.readFileSync(path.join(node.dir, 'chassis.log'), 'utf8')) ? true : undefined), 20000);
  await bmc.powerOff();
  await reaches('power off');
  expect(rack.powerState(node)).toBe('off');
}, 60000);

test('a busy BMC ("node busy") is retried: with one attempt it fails retryable and says so, with more it passes', async () => {
  const once = await driver({ node: busyNode, attempts: 1 }).powerStatus().catch((e) => e);
  expect(once).toBeInstanceOf(BmcError);
  expect(once.retryable).toBe(true);
  expect(once.message).toMatch(/failed: the BMC is busy \(ipmitool: .*Node busy/);
  expect(await driver({ node: busyNode, attempts: 3 }).powerStatus()).toMatch(/^power (on|off)$/);
});

test('sets the boot device and confirms it', async () => {
  const bmc = driver();
  await bmc.setBootDevice('disk');
  expect(fs.readFileSync(path.join(node.dir, 'boot'), 'utf8').trim()).toBe('default');
  await bmc.setBootDevice('pxe');
  expect(fs.readFileSync(path.join(node.dir, 'boot'), 'utf8').trim()).toBe('pxe');
});

test('a wrong password fails at once, not retryable, saying so in words, naming node, command and answer', async () => {
  const err = await driver({ password: 'not-the-password' }).powerStatus().catch((e) => e);
  expect(err).toBeInstanceOf(BmcError);
  expect(err.retryable).toBe(false);
  expect(err.message).toContain('node rack1-u07');
  expect(err.message).toContain('ipmitool power status');
  expect(err.message).toContain(node.bmcAddress);
  expect(err.message).toMatch(/failed: the BMC rejected the username or password \(ipmitool: .*RAKP 2 HMAC is invalid/);
  expect(err.message).not.toContain('not-the-password');
});

test('a BMC that does not answer is retried a bounded number of times', async () => {
  const err = await driver({ address: '127.0.33.250', attempts: 2 }).powerStatus().catch((e) => e);
  expect(err).toBeInstanceOf(BmcError);
  expect(err.retryable).toBe(true);
  expect(err.message).toMatch(/after 2 attempts/);
  expect(err.message).toMatch(/Get Auth Capabilities error|Unable to establish/);
}, 30000);

test('the password travels in the environment, never on the command line', async () => {
  const fake = path.join(dir, 'fake-ipmitool');
  const record = path.join(dir, 'fake-ipmitool.out');
  fs.writeFileSync(fake, `#!/bin/sh\necho "ARGV: $*" > ${record}\necho "ENV: $IPMI_PASSWORD" >> ${record}\necho "Chassis Power is on"\n`, { mode: 0o755 });
  const bmc = new IpmitoolDriver(
    { ipmi_address: '192.0.2.1', ipmi_port: 623, ipmi_username: 'admin', ipmi_password: 'Very-Secret' },
    { nodeId: 'n', defaultCipherSuite: 17, ipmitoolPath: fake },
  );
  expect(await bmc.powerStatus()).toBe('power on');
  const [argv, env] = fs.readFileSync(record, 'utf8').trim().split('\n');
  expect(argv).not.toContain('Very-Secret');
  expect(argv).toMatch(/-E/);
  expect(argv).toMatch(/-C 17/);
  expect(env).toBe('ENV: Very-Secret');
});

test('ipmitool gets a minimal environment, none of the worker\'s secrets', async () => {
  const fake = path.join(dir, 'env-ipmitool');
  const record = path.join(dir, 'env-ipmitool.env');
  fs.writeFileSync(fake, `#!/bin/sh\nenv > ${record}\necho "Chassis Power is on"\n`, { mode: 0o755 });
  const saved = { ...process.env };
  process.env.DATABASE_URL = 'postgres://introspector:Db-Secret@db/introspector';
  process.env.S3_SECRET_KEY = 'S3-Secret';
  try {
    const bmc = new IpmitoolDriver(
      { ipmi_address: '192.0.2.1', ipmi_port: 623, ipmi_username: 'admin', ipmi_password: 'Very-Secret' },
      { nodeId: 'n', defaultCipherSuite: 3, ipmitoolPath: fake },
    );
    expect(await bmc.powerStatus()).toBe('power on');
  } finally {
    process.env = saved;
  }
  const env = Object.fromEntries(
    fs
      .readFileSync(record, 'utf8')
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  // what the shell itself sets
  for (const own of ['PWD', 'SHLVL', '_', 'OLDPWD']) delete env[own];
  expect(env).toEqual({ PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C', IPMI_PASSWORD: 'Very-Secret' });
});

describe('what a failure says', () => {
  /** A fake ipmitool that prints `lines` on stderr and fails; the error message's answer part. */
  async function answerOf(name: string, lines: string[]): Promise<string> {
    const fake = path.join(dir, name);
    fs.writeFileSync(fake, `#!/bin/sh\ncat >&2 <<'EOF'\n${lines.join('\n')}\nEOF\nexit 1\n`, { mode: 0o755 });
    const bmc = new IpmitoolDriver(
      { ipmi_address: '192.0.2.1', ipmi_port: 623, ipmi_username: 'admin', ipmi_password: 'Very-Secret' },
      { nodeId: 'n8', defaultCipherSuite: 3, ipmitoolPath: fake, attempts: 1 },
    );
    const err = await bmc.powerStatus().catch((e) => e);
    expect(err).toBeInstanceOf(BmcError);
    const prefix = 'node n8: ipmitool power status against 192.0.2.1:623 failed: ';
    expect(err.message.startsWith(prefix)).toBe(true);
    expect(err.message.endsWith(' (after 1 attempts)')).toBe(true);
    return err.message.slice(prefix.length, -' (after 1 attempts)'.length);
  }

  const long = (what: string) => `${what} ${'y'.repeat(400)}`;

  test('the last 3 meaningful lines, each cut to 160 characters, control characters and the password gone', async () => {
    const answer = await answerOf('chatty-ipmitool', [
      ...[1, 2, 3, 4, 5].map((i) => long(`noise ${i}`)),
      'Error: Unable to get Chassis Power Status',
      '',
      '> RAKP 2 message: password Very-Secret\x1b[31m rejected\t',
      long('Unable to establish IPMI v2 / RMCP+ session'),
    ]);
    expect(answer.split(' | ')).toEqual([
      'Error: Unable to get Chassis Power Status',
      'RAKP 2 message: password ****** [31m rejected',
      `${long('Unable to establish IPMI v2 / RMCP+ session').slice(0, 159)}…`,
    ]);
  });

  test('at most 300 characters in all, keeping the end, where ipmitool says why', async () => {
    const answer = await answerOf('long-ipmitool', [long('first'), long('second'), long('third'), 'Unable to establish IPMI v2 / RMCP+ session']);
    expect(answer.length).toBe(300);
    expect(answer.startsWith('…')).toBe(true);
    expect(answer).not.toContain('first');
    expect(answer.endsWith(`${'y'.repeat(153)}… | Unable to establish IPMI v2 / RMCP+ session`)).toBe(true);
  });
});

test('a boot device the BMC did not take is reported, not assumed', async () => {
  const fake = path.join(dir, 'stubborn-ipmitool');
  fs.writeFileSync(fake, `#!/bin/sh\ncase "$*" in *bootparam*) echo " - Boot Device Selector : No override";; *) echo "Set Boot Device to pxe";; esac\n`, { mode: 0o755 });
  const bmc = new IpmitoolDriver(
    { ipmi_address: '192.0.2.1', ipmi_port: 623, ipmi_username: 'admin', ipmi_password: 'x' },
    { nodeId: 'n7', defaultCipherSuite: 3, ipmitoolPath: fake, attempts: 1 },
  );
  await expect(bmc.setBootDevice('pxe')).rejects.toThrow(/node n7: ipmitool chassis bootdev pxe .* reports boot device "No override"/);
});

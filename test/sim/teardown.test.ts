// A simulated rack leaves nothing behind however it ends: stop(), `npm run sim` told to stop by
// a Ctrl-C followed by its terminal closing, or a SIGKILL (then the next start with the same
// prefix removes what it left).

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Chassis, isRunning } from '../../sim/chassis';
import { SimRack, type RackOptions } from '../../sim/rack';
import { waitFor } from '../support/stack';
import { describeWithRack } from './support';

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

/** The rack's namespaces and host-side veths that exist now. */
function network(prefix: string): string[] {
  const names = (args: string[], key: string) => {
    const out = execFileSync('ip', ['-j', ...args], { encoding: 'utf8' }).trim();
    return (out ? (JSON.parse(out) as Record<string, string>[]) : []).map((e) => e[key]);
  };
  return [...names(['netns', 'list'], 'name'), ...names(['link', 'show', 'type', 'veth'], 'ifname')].filter((n) => new RegExp(`^${prefix}(ns|h)\\d+$`).test(n));
}

const read = (file: string) => {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
};
const cwdOf = (pid: string) => {
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
};

/** A node's processes: its ipmi_sim (running in the node's dir), its power timer and firmware (in its pid files). */
function groups(dir: string): number[] {
  const ipmiSims = fs.readdirSync('/proc').filter((pid) => read(`/proc/${pid}/comm`) === 'ipmi_sim' && cwdOf(pid) === dir);
  const started = ['pending', 'boot.pid'].map((file) => read(path.join(dir, file))?.split(' ').pop());
  return [...ipmiSims, ...started].map(Number).filter((pid) => pid > 0);
}

/** Node 1 booting its firmware (a long power-on self test), node 2 with a power-on on its way. */
async function busyNodes(dir: string, prefix: string): Promise<number[]> {
  const [one, two] = [1, 2].map((i) => new Chassis(path.join(dir, `${prefix}-node-0${i}`)));
  await one.bootOverride('pxe', 'once');
  await one.power('on');
  await waitFor('the firmware', async () => one.firmwareGroup() ?? undefined, 10000);
  two.configure({ powerDelaySeconds: 600, bootOverrideExpirySeconds: 0 });
  await two.power('on');
  const pids = [...groups(one.dir), ...groups(two.dir)];
  for (const pid of pids) expect(isRunning(pid)).toBe(true);
  return pids;
}

describeWithRack('teardown of a simulated rack', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-teardown-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a rack killed with SIGKILL: the next start with its prefix removes what it left, stop removes the rest', async () => {
    const options: RackOptions = { dir, count: 2, prefix: 'fc', net: 73, inspectorPort: 27001, powerDelaySeconds: 0, bootDelaySeconds: 600 };
    // One process (tsx's loader, not its CLI, which would run the rack in a child of its own).
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'rack-process.ts'), JSON.stringify(options)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    await waitFor('the rack process', async () => (out.includes('up') ? true : undefined), 90000);
    const pids = await busyNodes(dir, 'fc');
    expect(pids).toHaveLength(4); // two ipmi_sims, a firmware, a power timer

    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(network('fc')).toHaveLength(4);
    for (const pid of pids) expect(isRunning(pid)).toBe(true);

    const rack = await SimRack.start({ ...options, bootDelaySeconds: 0 });
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
    const fresh = rack.nodes.flatMap((node) => groups(node.dir));
    expect(fresh).toHaveLength(2);
    await rack.stop();
    expect(network('fc')).toEqual([]);
    for (const pid of fresh) expect(isRunning(pid)).toBe(false);
  }, 180000);

  test.each([
    ['Ctrl-C, then the terminal closing', ['SIGINT', 'SIGHUP', 'SIGINT']],
    ['SIGTERM', ['SIGTERM']],
  ] as const)('`npm run sim` removes its rack on %s', async (_name, signals) => {
    const api = http.createServer((req, res) => {
      req.resume().on('end', () => {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ uuid: `uuid-${req.url}` }));
      });
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const output = path.join(dir, 'sim.out');
    const log = fs.openSync(output, 'w');
    // As `npm run sim` runs it, in a process group of its own as a terminal's foreground job is.
    const sim = spawn(
      TSX,
      ['sim/main.ts', '--count', '2', '--prefix', 'fd', '--net', '74', '--redfish', '2', '--inspector-port', '27001', '--dir', path.join(dir, 'sim'),
        '--node-url', `http://127.0.0.1:${(api.address() as AddressInfo).port}`, '--boot-delay', '600', '--power-delay', '0'],
      { cwd: ROOT, detached: true, stdio: ['ignore', log, log], env: { ...process.env, INTROSPECTOR_USERNAME: 'admin', INTROSPECTOR_PASSWORD: 'x' } },
    );
    fs.closeSync(log);
    try {
      await waitFor('the rack to be enrolled', async () => (fs.readFileSync(output, 'utf8').includes('Press Ctrl-C') ? true : undefined), 90000);
      const pids = await busyNodes(path.join(dir, 'sim'), 'fd');
      expect(pids).toHaveLength(3); // node 1's ipmi_sim and firmware, node 2's power timer (its BMC is in the process)
      for (const signal of signals) process.kill(-sim.pid!, signal);
      await waitFor('the rack to be removed', async () => (fs.readFileSync(output, 'utf8').includes('rack removed') ? true : undefined), 30000);
      expect(network('fd')).toEqual([]);
      for (const pid of pids) expect(isRunning(pid)).toBe(false);
    } finally {
      try {
        process.kill(-sim.pid!, 'SIGKILL');
      } catch {
        // ended as it should
      }
      api.close();
    }
  }, 180000);
});

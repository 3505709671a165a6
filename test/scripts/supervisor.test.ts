import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startService, type Service } from '../../scripts/services';
import { Supervisor } from '../../scripts/supervisor';
import { waitFor } from '../support/stack';

// npm start's supervision over real processes: a child killed with SIGKILL is started again
// after the pause, which doubles when it dies again at once; the others are not touched; a
// start that fails is tried again; after stop() nothing is restarted and nothing is left.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'supervisor-'));
const sleeper = (name: string) => async (): Promise<Service> =>
  startService(name, process.execPath, ['-e', 'setInterval(() => {}, 1000)'], path.join(dir, `${name}.log`));
const alive = (pid: number | undefined) => {
  try {
    process.kill(pid!, 0);
    return true;
  } catch {
    return false;
  }
};

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a killed child is started again with a doubling pause while the others keep running; stop ends them all', async () => {
  const said: string[] = [];
  const supervisor = new Supervisor((m) => said.push(m), { minMs: 100, maxMs: 1000, healthyAfterMs: 60_000 });
  const worker = await supervisor.add('worker', sleeper('worker'));
  const api = await supervisor.add('api', sleeper('api'));
  const firstPid = worker.child.pid;

  worker.child.kill('SIGKILL');
  await waitFor('the worker to start again', async () => (supervisor.restarts().worker === 1 ? true : undefined), 5000, 20);
  expect(said[0]).toBe('worker exited (SIGKILL); starting it again in 0.1 s, the rest keeps serving');
  expect(said[1]).toMatch(/^worker started again \(pid \d+\)$/);
  expect(alive(firstPid)).toBe(false);
  expect(alive(api.child.pid)).toBe(true);
  expect(supervisor.restarts().api).toBe(0);

  // Dying again at once: the pause doubles.
  const secondPid = Number(/pid (\d+)/.exec(said[1])![1]);
  process.kill(secondPid, 'SIGKILL');
  await waitFor('the worker to start a third time', async () => (supervisor.restarts().worker === 2 ? true : undefined), 5000, 20);
  expect(said[2]).toBe('worker exited (SIGKILL); starting it again in 0.2 s, the rest keeps serving');
  const thirdPid = Number(/pid (\d+)/.exec(said[3])![1]);

  await supervisor.stop();
  expect(alive(thirdPid)).toBe(false);
  expect(alive(api.child.pid)).toBe(false);
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(supervisor.restarts()).toEqual({ worker: 2, api: 0 });
  expect(said).toHaveLength(4);
});

test('a start that fails after a crash is tried again', async () => {
  const said: string[] = [];
  const supervisor = new Supervisor((m) => said.push(m), { minMs: 50, maxMs: 200, healthyAfterMs: 60_000 });
  let failures = 0;
  const start = sleeper('flaky');
  const service = await supervisor.add('flaky', async () => {
    if (supervisor.restarts().flaky === 0 && said.length > 0 && failures < 2) {
      failures++;
      throw new Error('port 7233 is taken\nmore detail');
    }
    return start();
  });
  service.child.kill('SIGKILL');
  await waitFor('the service to start again', async () => (supervisor.restarts().flaky === 1 ? true : undefined), 5000, 20);
  expect(said.filter((m) => m.startsWith('flaky did not start again: port 7233 is taken; trying again in'))).toHaveLength(2);
  await supervisor.stop();
});

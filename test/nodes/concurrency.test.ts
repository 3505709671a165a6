import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describeEachDatabase } from './databases';
import { pipelinePatch } from './pipeline-patch';

// Writers that race through separate registries (separate connections, as the API and the
// worker have) on one database never lose each other's changes.

const ROUNDS = 20;
const mac = (node: number, round: number) => `52:54:00:0${node}:00:${round.toString(16).padStart(2, '0')}`;

describeEachDatabase('concurrent writers', (db) => {
  test(`${ROUNDS} rounds of two introspections finishing at once on different nodes`, async () => {
    const url = await db.newUrl();
    const [api, worker1, worker2] = [await db.openRegistry(url), await db.openRegistry(url), await db.openRegistry(url)];
    const a = await api.createNode({ name: 'race-a', driver: 'fake' });
    const b = await api.createNode({ name: 'race-b', driver: 'fake' });
    for (let round = 0; round < ROUNDS; round++) {
      await Promise.all([
        worker1.applyPatch(a.uuid, pipelinePatch({ properties: { [`r${round}`]: round }, addTraits: [`CUSTOM_A${round}`], ports: [{ address: mac(1, round), pxe_enabled: true }] })),
        worker2.applyPatch(b.uuid, pipelinePatch({ properties: { [`r${round}`]: round }, addTraits: [`CUSTOM_B${round}`], ports: [{ address: mac(2, round), pxe_enabled: true }] })),
        // the operator reads while they write
        api.listNodes(),
      ]);
    }
    for (const [node, n] of [[a, 1], [b, 2]] as const) {
      const stored = await api.getNodeOrThrow(node.uuid);
      expect(Object.keys(stored.properties)).toHaveLength(ROUNDS);
      expect(stored.traits).toHaveLength(ROUNDS);
      expect((await api.listPorts(node.uuid)).map((p) => p.address).sort()).toEqual(Array.from({ length: ROUNDS }, (_, r) => mac(n, r)).sort());
    }
  });

  test(`${ROUNDS} rounds of an operator PATCH racing an introspection's update of the same node`, async () => {
    const url = await db.newUrl();
    const [api, worker] = [await db.openRegistry(url), await db.openRegistry(url)];
    const node = await api.createNode({ name: 'race-same', driver: 'fake', extra: { owner: 'ops' } });
    for (let round = 0; round < ROUNDS; round++) {
      await Promise.all([
        api.patchNode(node.uuid, [
          { op: 'add', path: `/properties/operator_${round}`, value: round },
          { op: 'add', path: `/extra/ticket_${round}`, value: `T-${round}` },
        ]),
        worker.applyPatch(node.uuid, pipelinePatch({ properties: { [`inspected_${round}`]: round }, extra: { [`hook_${round}`]: true } })),
        worker.updateNode(node.uuid, () => ({ power_state: round % 2 ? 'power on' : 'power off' })),
      ]);
    }
    const stored = await api.getNodeOrThrow(node.uuid);
    for (let round = 0; round < ROUNDS; round++) {
      expect(stored.properties).toMatchObject({ [`operator_${round}`]: round, [`inspected_${round}`]: round });
      expect(stored.extra).toMatchObject({ [`ticket_${round}`]: `T-${round}`, [`hook_${round}`]: true });
    }
    expect(Object.keys(stored.properties)).toHaveLength(2 * ROUNDS);
    expect(stored.extra.owner).toBe('ops');
  });

  test('two introspections reporting the same new MAC for different nodes: one wins, the other gets a 409', async () => {
    const url = await db.newUrl();
    const [one, two] = [await db.openRegistry(url), await db.openRegistry(url)];
    const a = await one.createNode({ driver: 'fake' });
    const b = await one.createNode({ driver: 'fake' });
    for (let round = 0; round < 5; round++) {
      const shared = mac(3, round);
      const results = await Promise.allSettled([
        one.applyPatch(a.uuid, pipelinePatch({ properties: { [`r${round}`]: 1 }, ports: [{ address: shared, pxe_enabled: true }] })),
        two.applyPatch(b.uuid, pipelinePatch({ properties: { [`r${round}`]: 1 }, ports: [{ address: shared, pxe_enabled: true }] })),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
      expect(rejected.reason.message).toMatch(new RegExp(`MAC ${shared} already belongs to node`));
      expect((await one.listPorts(undefined, { address: shared })).length).toBe(1);
    }
  });

  test('an operator PATCH racing a worker in another process', async () => {
    const url = await db.newUrl();
    const api = await db.openRegistry(url);
    const node = await api.createNode({ driver: 'fake' });
    const workerRounds = 100;
    const tsx = path.resolve(__dirname, '../../node_modules/tsx/dist/cli.mjs');
    let workerDone = false;
    const worker = promisify(execFile)(process.execPath, [tsx, path.join(__dirname, 'writer-process.ts'), url, node.uuid, String(workerRounds)]).finally(
      () => (workerDone = true),
    );
    let operatorRounds = 0;
    let overlapped = 0;
    while (!workerDone) {
      const patched = await api.patchNode(node.uuid, [{ op: 'add', path: `/properties/operator_${operatorRounds}`, value: operatorRounds }]);
      operatorRounds += 1;
      const byWorker = Object.keys(patched.properties).filter((k) => k.startsWith('worker_')).length;
      if (byWorker > 0 && byWorker < workerRounds) overlapped += 1;
      // better-sqlite3 answers without I/O: pause so the event loop sees the worker exit and a
      // tight loop here cannot starve the other process of the database lock.
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await worker;
    expect(overlapped).toBeGreaterThan(0);
    const { properties } = await api.getNodeOrThrow(node.uuid);
    expect(Object.keys(properties)).toHaveLength(workerRounds + operatorRounds);
  });
});

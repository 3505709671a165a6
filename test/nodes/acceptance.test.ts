import { randomUUID } from 'node:crypto';
import type { AcceptanceResult } from '../../common/acceptance-result';
import { NotFoundError } from '../../common/errors';
import type { NodeRegistry } from '../../nodes';
import { SELECTION_STEP } from '../../nodes/bulk-selection';
import { describeEachDatabase } from './databases';

// The acceptance table (migration 0009) and a bulk's report per rack, on SQLite and PostgreSQL.

const pass = (rack: string | null): AcceptanceResult => ({ status: 'pass', profile: 'p', planned_ports: 1, rack, differences: [], miscabled: [] });
const fail = (rack: string | null, memory: string): AcceptanceResult => ({
  status: 'fail',
  profile: 'p',
  planned_ports: 1,
  rack,
  differences: [
    { field: 'memory.mib', expected: '>= 262144', actual: memory },
    { field: 'nics[eth0].cabling', expected: 'leaf-1 swp1', actual: 'leaf-1 swp9' },
  ],
  miscabled: [{ nic: 'eth0', expected_switch: 'leaf-1', expected_port: 'swp1', seen_switch: 'leaf-1', seen_port: 'swp9' }],
});
/** HISTORY_KEEP's default, for the tests not about retention. */
const KEEP = 20;
const notChecked = (rack: string | null): AcceptanceResult => ({ status: 'not_checked', profile: null, planned_ports: 0, rack, differences: [], miscabled: [] });

/** A bulk over every node given, each node's run begun by the bulk; selection taken to the end. */
async function bulkOf(registry: NodeRegistry, uuids: string[]): Promise<string> {
  const bulkId = randomUUID();
  await registry.bulks.create(bulkId, { named: uuids.length }, uuids);
  for (let after = -1; ; ) {
    const page = await registry.bulks.selection.nextPage(bulkId, after, SELECTION_STEP);
    if (!page.nodes.length) break;
    after = page.nodes.at(-1)!.seq;
  }
  for (const uuid of uuids) {
    await registry.introspections.begin(uuid, 'waiting', bulkId);
    await registry.bulks.nodeRunning(bulkId, uuid);
  }
  return bulkId;
}

describeEachDatabase('acceptance records', (db) => {
  let registry: NodeRegistry;
  beforeAll(async () => {
    registry = await db.openRegistry();
  });

  const enroll = async (name: string, rack?: string) => {
    const node = await registry.createNode({ name, driver: 'fake', extra: rack ? { rack } : {} });
    await registry.updateNode(node.uuid, () => ({ provision_state: 'manageable' }));
    return node.uuid;
  };

  test('a report per rack: conforming, not conforming with differences and miscabled ports, not checked, failed, in progress', async () => {
    const names = ['a-pass', 'a-fail', 'a-unchecked', 'a-norow', 'a-failed', 'b-pass', 'b-running', 'nrack-pass'];
    const racks = ['r-a', 'r-a', 'r-a', 'r-a', 'r-a', 'r-b', 'r-b', undefined];
    const uuids: string[] = [];
    for (let i = 0; i < names.length; i++) uuids.push(await enroll(`${db.kind}-${names[i]}`, racks[i]));
    const [aPass, aFail, aUnchecked, aNoRow, aFailed, bPass, , nPass] = uuids;
    const bulkId = await bulkOf(registry, uuids);

    await registry.acceptance.record(aPass, pass('r-a'), KEEP);
    await registry.acceptance.record(aFail, fail('r-a', '131072'), KEEP);
    await registry.acceptance.record(aUnchecked, notChecked('r-a'), KEEP);
    await registry.acceptance.record(bPass, pass('r-b'), KEEP);
    await registry.acceptance.record(nPass, pass(null), KEEP);
    for (const u of [aPass, aFail, aUnchecked, aNoRow, bPass, nPass]) await registry.bulks.nodeEnded(bulkId, u, { state: 'finished', error: null });
    await registry.bulks.nodeEnded(bulkId, aFailed, { state: 'failed', error: 'timeout: no agent called back' });

    const report = await registry.acceptance.report(bulkId);
    expect(report.bulk_id).toBe(bulkId);
    expect(report.state).toBe('running');
    expect(report.racks.map((r) => [r.rack, r.conforming, r.not_conforming, r.not_checked, r.failed_introspection, r.skipped, r.in_progress])).toEqual([
      ['r-a', 1, 1, 2, 1, 0, 0],
      ['r-b', 1, 0, 0, 0, 0, 1],
      [null, 1, 0, 0, 0, 0, 0],
    ]);
    const rackA = report.racks[0];
    expect(rackA.non_conforming_nodes).toEqual([{ uuid: aFail, name: `${db.kind}-a-fail`, profile: 'p', differences: fail('r-a', '131072').differences }]);
    expect(rackA.miscabled_ports).toEqual([{ uuid: aFail, name: `${db.kind}-a-fail`, nic: 'eth0', expected_switch: 'leaf-1', expected_port: 'swp1', seen_switch: 'leaf-1', seen_port: 'swp9' }]);
    expect(rackA.failed_nodes).toEqual([{ uuid: aFailed, name: `${db.kind}-a-failed`, error: 'timeout: no agent called back' }]);
  });

  test("a reapply replaces its introspection's row; a later bulk's introspection is not this bulk's", async () => {
    const uuid = await enroll(`${db.kind}-again`, 'r-c');
    const first = await bulkOf(registry, [uuid]);
    await registry.acceptance.record(uuid, fail('r-c', '1'), KEEP);
    await registry.acceptance.record(uuid, fail('r-c', '2'), KEEP); // the same introspection, processed again
    await registry.bulks.nodeEnded(first, uuid, { state: 'finished', error: null });
    await new Promise((r) => setTimeout(r, 5)); // the next introspection starts later
    const second = await bulkOf(registry, [uuid]);
    await registry.acceptance.record(uuid, pass('r-c'), KEEP);
    await registry.bulks.nodeEnded(second, uuid, { state: 'finished', error: null });

    const old = await registry.acceptance.report(first);
    expect(old.racks[0].non_conforming_nodes.map((n) => n.differences[0].actual)).toEqual(['2']);
    expect((await registry.acceptance.report(second)).racks[0].conforming).toBe(1);
  });

  test("keeps a node's newest HISTORY_KEEP rows (0: all), one introspection per bulk", async () => {
    for (const [keep, expected] of [
      [2, ['gone', 'gone', 'kept', 'kept']],
      [0, ['kept', 'kept', 'kept', 'kept']],
    ] as const) {
      const uuid = await enroll(`${db.kind}-keep-${keep}`, 'r-keep');
      const bulks: string[] = [];
      for (let i = 0; i < expected.length; i++) {
        if (i) await new Promise((r) => setTimeout(r, 5)); // the next introspection starts later
        const bulkId = await bulkOf(registry, [uuid]);
        await registry.acceptance.record(uuid, pass('r-keep'), keep);
        await registry.bulks.nodeEnded(bulkId, uuid, { state: 'finished', error: null });
        bulks.push(bulkId);
      }
      const rows = [];
      for (const bulkId of bulks) {
        const [rack] = (await registry.acceptance.report(bulkId)).racks;
        rows.push(rack.conforming === 1 ? 'kept' : rack.not_checked === 1 ? 'gone' : 'neither');
      }
      expect({ keep, rows }).toEqual({ keep, rows: expected });
    }
  });

  test('more nodes than a page of the report, in one rack', async () => {
    const uuids: string[] = [];
    for (let i = 0; i < 520; i++) uuids.push(await enroll(`${db.kind}-many-${i}`, 'r-many'));
    const bulkId = await bulkOf(registry, uuids);
    for (const [i, u] of uuids.entries()) {
      await registry.acceptance.record(u, i % 2 ? pass('r-many') : fail('r-many', String(i)), KEEP);
      await registry.bulks.nodeEnded(bulkId, u, { state: 'finished', error: null });
    }
    const [rack] = (await registry.acceptance.report(bulkId)).racks;
    expect([rack.conforming, rack.not_conforming, rack.miscabled_ports.length]).toEqual([260, 260, 260]);
  }, 120000);

  test('an unknown bulk is not found', async () => {
    await expect(registry.acceptance.report(randomUUID())).rejects.toThrow(NotFoundError);
  });
});

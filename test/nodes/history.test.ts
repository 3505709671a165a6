import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../../common/errors';
import type { NodeRegistry } from '../../nodes';
import type { StoredRun } from '../../nodes/history';
import { describeEachDatabase } from './databases';

// The registry's index of each node's introspection history (migration 0008), on SQLite and
// PostgreSQL: ids per node, one entry per run however often it is recorded, pages newest
// first, what retention would remove, and rows gone with their node.

const run = (nodeUuid: string, n: number, over: Partial<StoredRun> = {}): StoredRun => ({
  nodeUuid,
  runId: randomUUID(),
  source: 'introspection',
  sha256: n.toString(16).padStart(64, '0'),
  processedBytes: 1000 + n,
  unprocessedBytes: 2000 + n,
  ...over,
});

describeEachDatabase('introspection history', (db) => {
  let registry: NodeRegistry;
  beforeAll(async () => {
    registry = await db.openRegistry();
  });

  const enroll = async (name: string) => (await registry.createNode({ name, driver: 'fake' })).uuid;

  test("entries are numbered per node, timed by the node's introspection and its bulk; a run recorded again stays one entry", async () => {
    const [a, b] = [await enroll('hist-a'), await enroll('hist-b')];
    const bulkId = randomUUID();
    await registry.introspections.begin(a, 'processing', bulkId);
    const started = (await registry.introspections.list({ limit: 10 })).find((r) => r.node_uuid === a)!.started_at;

    const first = await registry.history.record(run(a, 1));
    expect(first).toMatchObject({ node_uuid: a, id: 1, source: 'introspection', bulk_id: bulkId, started_at: started, processed_bytes: 1001, unprocessed_bytes: 2001 });
    expect(Date.parse(first.finished_at)).toBeGreaterThanOrEqual(Date.parse(started));
    expect((await registry.history.record(run(b, 1))).id).toBe(1);

    await registry.introspections.begin(a, 'reapplying');
    const again = run(a, 2, { source: 'reapply' });
    const second = await registry.history.record(again);
    expect(second).toMatchObject({ id: 2, source: 'reapply', bulk_id: null });
    // the same run stored twice (a retried activity): the entry takes the last store's hash, no second entry
    const retried = await registry.history.record({ ...again, sha256: 'f'.repeat(64), processedBytes: 7 });
    expect(retried).toMatchObject({ id: 2, sha256: 'f'.repeat(64), processed_bytes: 7 });
    expect((await registry.history.list(a, { limit: 10 })).map((e) => [e.id, e.sha256])).toEqual([
      [2, 'f'.repeat(64)],
      [1, first.sha256],
    ]);
  });

  test('records of one node at once (an attempt that timed out beside its retry) each get an id of their own, a run once', async () => {
    const uuid = await enroll('hist-concurrent');
    // Each round of colliding writers lets one through: three writers lose at most twice each, within the attempts.
    const same = run(uuid, 9);
    const rows = await Promise.all([run(uuid, 1), same, same].map((r) => registry.history.record(r)));
    expect(new Set(rows.map((r) => r.id)).size).toBe(2);
    expect((await registry.history.list(uuid, { limit: 10 })).map((e) => e.id)).toEqual([2, 1]);
  });

  test('pages newest first by marker; an unknown marker or id is a 404 naming the parameter', async () => {
    const uuid = await enroll('hist-pages');
    for (let n = 1; n <= 5; n++) await registry.history.record(run(uuid, n));
    const ids = async (marker?: number) => (await registry.history.list(uuid, { marker, limit: 2 })).map((e) => e.id);
    expect(await ids()).toEqual([5, 4]);
    expect(await ids(4)).toEqual([3, 2]);
    expect(await ids(2)).toEqual([1]);
    await expect(registry.history.list(uuid, { marker: 9, limit: 2 })).rejects.toThrow(new NotFoundError(`marker: node ${uuid} has no introspection 9 in its history`));
    expect((await registry.history.getOrThrow(uuid, 3)).sha256).toBe(run(uuid, 3).sha256);
    await expect(registry.history.getOrThrow(uuid, 6, 'from')).rejects.toThrow(/^from: node .* has no introspection 6/);
  });

  test('retention: the entries beyond the newest N, oldest first; 0 keeps all; ids are not reused after removal', async () => {
    const uuid = await enroll('hist-keep');
    for (let n = 1; n <= 4; n++) await registry.history.record(run(uuid, n));
    expect((await registry.history.beyond(uuid, 2)).map((e) => e.id)).toEqual([1, 2]);
    expect(await registry.history.beyond(uuid, 0)).toEqual([]);
    expect(await registry.history.beyond(uuid, 4)).toEqual([]);
    expect(await registry.history.beyond(uuid, 10)).toEqual([]);
    await registry.history.remove(uuid, [1, 2]);
    expect((await registry.history.record(run(uuid, 5))).id).toBe(5);
    expect((await registry.history.list(uuid, { limit: 10 })).map((e) => e.id)).toEqual([5, 4, 3]);
    expect((await registry.history.beyond(uuid, 1)).map((e) => e.id)).toEqual([3, 4]);
  });

  test("a node's entries go with it", async () => {
    const uuid = await enroll('hist-deleted');
    await registry.history.record(run(uuid, 1));
    await registry.deleteNode(uuid);
    expect(await registry.history.list(uuid, { limit: 10 })).toEqual([]);
  });
});

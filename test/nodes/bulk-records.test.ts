import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../../common/errors';
import type { NodeRecord, NodeRegistry } from '../../nodes';
import type { ProvisionState } from '../../nodes/provision-states';
import { bulkCounts } from '../../nodes/bulk-records';
import { SELECTION_STEP } from '../../nodes/bulk-selection';
import type { BulkPageNode } from '../../workflows/definitions';
import { describeEachDatabase } from './databases';

// The registry's side of bulk runs and of the introspection list: selection a step at a time,
// outcomes, counts and pages, on SQLite and PostgreSQL.

async function enroll(registry: NodeRegistry, name: string, over: { extra?: Record<string, unknown>; state?: ProvisionState } = {}) {
  const node = await registry.createNode({ name, driver: 'fake', extra: over.extra ?? {} });
  await registry.updateNode(node.uuid, () => ({ provision_state: over.state ?? 'manageable' }));
  return node;
}

/** Every page of a bulk's selection, as the workflow takes them. */
async function allPages(registry: NodeRegistry, bulkId: string) {
  const rows: BulkPageNode[] = [];
  let total = 0;
  for (let afterSeq = -1; ; ) {
    const page = await registry.bulks.selection.nextPage(bulkId, afterSeq, SELECTION_STEP);
    rows.push(...page.nodes);
    total = page.total;
    if (!page.more && !page.nodes.length) return { rows, total };
    if (page.nodes.length) afterSeq = page.nodes.at(-1)!.seq;
  }
}

describeEachDatabase('bulk records', (db) => {
  let registry: NodeRegistry;
  beforeAll(async () => {
    registry = await db.openRegistry();
  });

  test('named nodes are selected a step at a time in the order given, each once; missing and refused ones skipped with why', async () => {
    const nodes: NodeRecord[] = [];
    for (let i = 0; i < 300; i++) nodes.push(await enroll(registry, `named-${i}`));
    const available = await enroll(registry, 'named-available', { state: 'available' });
    // 300 nodes (by name, one by uuid, one twice), 400 names of no node, an available node: more than one step.
    const names = nodes.flatMap((n, i) => (i === 7 ? [n.uuid] : [n.name!, `ghost-${i}`]));
    names.splice(10, 0, nodes[3].name!, available.name!, ...Array.from({ length: 100 }, (_, i) => `ghost-extra-${i}`));
    const bulkId = randomUUID();
    await registry.bulks.create(bulkId, { named: names.length }, names);

    const first = await registry.bulks.selection.nextPage(bulkId, -1, 100);
    expect(first.total).toBe(names.length);
    expect(await registry.bulks.selection.nextPage(bulkId, -1, 100)).toEqual(first);
    const { rows, total } = await allPages(registry, bulkId);
    const uuidOf = new Map([...nodes, available].flatMap((n) => [[n.name!, n.uuid], [n.uuid, n.uuid]]));
    const expected = [...new Set(names.map((ident) => uuidOf.get(ident) ?? ident))];
    expect(rows.map((r) => r.uuid)).toEqual(expected);
    expect(total).toBe(names.length - 1); // the node named twice has one row
    expect(rows.filter((r) => !r.skipped).map((r) => r.uuid)).toEqual(expected.filter((u) => nodes.some((n) => n.uuid === u)));

    const page = await registry.bulks.nodes(bulkId, { limit: 1000, states: ['skipped'] });
    expect(page).toHaveLength(400);
    expect(page.find((r) => r.node_uuid === 'ghost-0')).toMatchObject({ name: null, error: 'no such node' });
    expect(page.find((r) => r.node_uuid === available.uuid)).toMatchObject({ name: available.name, error: expect.stringMatching(/^Invalid provision state for introspection: "available"/) });
    expect((await registry.bulks.counts([(await registry.bulks.get(bulkId))!])).get(bulkId)).toEqual({ total, pending: 300, running: 0, finished: 0, failed: 0, skipped: 400 });
  });

  test('filters select in uuid order, the rack from extra; the total is counted first, then exact', async () => {
    const rack = `rack-${randomUUID().slice(0, 6)}`;
    const inRack = [];
    for (let i = 0; i < SELECTION_STEP + 20; i++) inRack.push(await enroll(registry, `${rack}-${i}`, { extra: { rack } }));
    await enroll(registry, `${rack}-elsewhere`, { extra: { rack: 'other' } });
    const bulkId = randomUUID();
    await registry.bulks.create(bulkId, { rack, namePrefix: rack });

    const { rows, total } = await allPages(registry, bulkId);
    expect(total).toBe(inRack.length);
    expect(rows.map((r) => r.uuid)).toEqual(inRack.map((n) => n.uuid).sort());
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i));
  });

  test("nodes' outcomes, counts, failures by phase; an abort skips the pending and counts the unselected as skipped", async () => {
    const nodes = [];
    for (let i = 0; i < 5; i++) nodes.push(await enroll(registry, `outcome-${randomUUID().slice(0, 6)}-${i}`));
    const bulkId = randomUUID();
    await registry.bulks.create(bulkId, { named: 5 }, nodes.map((n) => n.name!));
    await allPages(registry, bulkId);
    const [a, b, c] = nodes;
    await registry.bulks.nodeRunning(bulkId, a.uuid);
    await registry.bulks.nodeEnded(bulkId, a.uuid, { state: 'finished', error: null });
    await registry.bulks.nodeRunning(bulkId, b.uuid);
    await registry.bulks.nodeEnded(bulkId, b.uuid, { state: 'failed', error: 'x'.repeat(2000), bootPhase: 'kernel_fetched' });
    await registry.bulks.nodeRunning(bulkId, c.uuid);
    // A late end of a node already ended changes nothing.
    await registry.bulks.nodeEnded(bulkId, a.uuid, { state: 'failed', error: 'late' });
    const get = async () => (await registry.bulks.counts([(await registry.bulks.get(bulkId))!])).get(bulkId);
    expect(await get()).toEqual({ total: 5, pending: 2, running: 1, finished: 1, failed: 1, skipped: 0 });
    expect(await registry.bulks.failuresByPhase(bulkId)).toEqual({ kernel_fetched: 1 });
    const rows = await registry.bulks.nodes(bulkId, { limit: 10 });
    expect(rows.find((r) => r.node_uuid === b.uuid)?.error).toHaveLength(500);

    await registry.bulks.nodeEnded(bulkId, c.uuid, { state: 'failed', error: 'Canceled by operator' });
    await registry.bulks.finish(bulkId, true);
    expect(await get()).toEqual({ total: 5, pending: 0, running: 0, finished: 1, failed: 2, skipped: 2 });
    expect((await registry.bulks.nodes(bulkId, { limit: 10, states: ['skipped'] })).map((r) => r.error)).toEqual(['bulk introspection aborted', 'bulk introspection aborted']);
    expect(await registry.bulks.failuresByPhase(bulkId)).toEqual({ kernel_fetched: 1, none: 1 });
    // Nodes an aborted bulk never selected count as skipped; a running bulk's as pending.
    expect(bulkCounts({ total: 10, state: 'aborted' }, { finished: 2, skipped: 1 })).toMatchObject({ total: 10, pending: 0, skipped: 8 });
    expect(bulkCounts({ total: 10, state: 'running' }, { pending: 3, running: 2, finished: 2 })).toMatchObject({ total: 10, pending: 6, running: 2 });
  });

  test("a bulk's nodes page by marker (the last uuid of the previous page), limit and states", async () => {
    const bulkId = randomUUID();
    const names = Array.from({ length: 25 }, (_, i) => `page-ghost-${String(i).padStart(2, '0')}`);
    await registry.bulks.create(bulkId, { named: names.length }, names);
    await allPages(registry, bulkId);
    const seen: string[] = [];
    for (let marker: string | undefined; ; ) {
      const page = await registry.bulks.nodes(bulkId, { marker, limit: 10 });
      if (!page.length) break;
      seen.push(...page.map((r) => r.node_uuid));
      marker = page.at(-1)!.node_uuid;
    }
    expect(seen).toEqual(names);
    expect(await registry.bulks.nodes(bulkId, { limit: 10, states: ['running'] })).toEqual([]);
    await expect(registry.bulks.nodes(bulkId, { marker: 'no-such-node', limit: 10 })).rejects.toThrow(NotFoundError);
  });

  test("the introspection list: each node's latest run, newest first by (started_at, uuid), paged by marker, filtered by state and bulk", async () => {
    const fresh = await db.openRegistry();
    const nodes = [];
    for (let i = 0; i < 7; i++) nodes.push(await enroll(fresh, `listed-${i}`));
    const bulkId = randomUUID();
    for (const [i, n] of nodes.entries()) await fresh.introspections.begin(n.uuid, 'waiting', i < 3 ? bulkId : null);
    await fresh.introspections.advance(nodes[1].uuid, 'processing');
    await fresh.introspections.end(nodes[2].uuid, 'boom');
    await fresh.introspections.end(nodes[3].uuid, null);
    // A discovered node's processing begins its row.
    const discovered = await enroll(fresh, 'listed-discovered');
    await fresh.introspections.advance(discovered.uuid, 'processing');

    const all = await fresh.introspections.list({ limit: 100 });
    expect(all).toHaveLength(8);
    const order = [...all].sort((x, y) => (x.started_at === y.started_at ? y.node_uuid.localeCompare(x.node_uuid) : y.started_at.localeCompare(x.started_at)));
    expect(all.map((r) => r.node_uuid)).toEqual(order.map((r) => r.node_uuid));
    const paged = [];
    for (let marker: string | undefined; ; ) {
      const page = await fresh.introspections.list({ marker, limit: 3 });
      if (!page.length) break;
      paged.push(...page.map((r) => r.node_uuid));
      marker = page.at(-1)!.node_uuid;
    }
    expect(paged).toEqual(all.map((r) => r.node_uuid));
    expect((await fresh.introspections.list({ limit: 100, states: ['error', 'finished'] })).map((r) => [r.node_uuid, r.state, r.error]).sort()).toEqual(
      [
        [nodes[2].uuid, 'error', 'boom'],
        [nodes[3].uuid, 'finished', null],
      ].sort(),
    );
    expect((await fresh.introspections.list({ limit: 100, bulkId })).map((r) => r.node_uuid).sort()).toEqual(nodes.slice(0, 3).map((n) => n.uuid).sort());
    expect((await fresh.introspections.list({ limit: 100, states: ['processing'] })).map((r) => r.node_uuid).sort()).toEqual([nodes[1].uuid, discovered.uuid].sort());
    await expect(fresh.introspections.list({ marker: randomUUID(), limit: 3 })).rejects.toThrow(/Node not found for marker/);
    // A deleted node leaves the list.
    await fresh.deleteNode(nodes[0].uuid);
    expect((await fresh.introspections.list({ limit: 100 })).map((r) => r.node_uuid)).not.toContain(nodes[0].uuid);
  });
});

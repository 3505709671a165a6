// Fleet queries over the registry (nodes/fleet.ts), on SQLite and PostgreSQL: answers, paging,
// node fields read at query time, and the SQL pre-filter never dropping a node the JS
// evaluator matches (random fleets, random expressions).

import { parseExpr } from '../../common/expr/parse';
import { compileFilter } from '../../nodes/fleet';
import type { NodeRegistry } from '../../nodes';
import { hex } from '../hooks/helpers';
import { describeEachDatabase } from './databases';
import { pick, prng, processedData, randomExpr } from './fleet-data';

const SEED = Number(process.env.FLEET_TEST_SEED ?? 14);

async function enroll(registry: NodeRegistry, count: number, rand: () => number, messy: boolean) {
  const uuids: string[] = [];
  for (let i = 0; i < count; i++) {
    const node = await registry.createNode({
      name: i % 7 === 0 ? null : `r${(i % 3) + 1}-n${i}`,
      driver: 'fake',
      resource_class: pick(rand, ['bm', 'gpu', null]),
      extra: rand() < 0.5 ? { rack: pick(rand, ['A1', 'A2']) } : {},
      properties: rand() < 0.3 ? { cpus: 16, capabilities: 'boot_mode:uefi' } : {},
    });
    await registry.fleet.put(node.uuid, processedData(rand, i, messy));
    uuids.push(node.uuid);
  }
  return uuids.sort();
}

describeEachDatabase('fleet queries', (db) => {
  let registry: NodeRegistry;
  beforeAll(async () => {
    registry = await db.openRegistry();
  });

  const query = async (text: string, options = {}) => (await registry.fleet.query(parseExpr(text), { limit: 1000, ...options })).nodes;

  test('answers the issue examples, with the fields they read', async () => {
    const a = await registry.createNode({ name: 'big', driver: 'fake' });
    const b = await registry.createNode({ name: 'small', driver: 'fake' });
    const c = await registry.createNode({ name: 'never-processed', driver: 'fake' });
    const data = (memory: number, model: string, disks: number, port: string) => ({
      inventory: {
        cpu: { count: 8, model_name: model, architecture: 'x86_64' },
        memory: { physical_mb: memory },
        disks: Array.from({ length: disks }, (_, i) => ({ name: `/dev/sd${i}`, size: 1e12 })),
        interfaces: [{ name: 'eno1', mac_address: '52:54:00:AA:00:01' }],
      },
      all_interfaces: { eno1: { lldp_processed: { switch_port_id: port } } },
    });
    await registry.fleet.put(a.uuid, data(524288, 'AMD EPYC 9354', 6, 'Ethernet1/1'));
    await registry.fleet.put(b.uuid, data(131072, 'Intel(R) Xeon(R) Gold 6230', 2, 'Ethernet1/12'));
    const names = async (text: string) => (await query(text)).map((n) => n.name).sort();
    expect(await names('memory_mb < 262144')).toEqual(['small']);
    expect(await names('cpu.model_name ~ "Xeon"')).toEqual(['small']);
    expect(await names('count(disks) >= 4')).toEqual(['big']);
    expect(await names('any(interfaces, lldp.switch_port == "Ethernet1/12")')).toEqual(['small']);
    expect(await names('any(interfaces, mac == "52:54:00:aa:00:01")')).toEqual(['big', 'small']);
    expect(await names('memory_mb > 1e9')).toEqual([]);
    expect(await names('name == "never-processed"')).toEqual([]);
    expect((await query('count(disks) >= 4 and memory_mb > 1'))[0]).toEqual({ uuid: a.uuid, name: 'big', fields: { 'count(disks)': 6, memory_mb: 524288 } });

    // The node's fields are read when the query runs; its hardware view when it was processed.
    await registry.patchNode(a.uuid, [{ op: 'replace', path: '/name', value: 'renamed' }, { op: 'add', path: '/extra/rack', value: 'B7' }]);
    expect(await names('rack == "B7"')).toEqual(['renamed']);
    await registry.fleet.put(a.uuid, data(65536, 'AMD EPYC 9354', 6, 'Ethernet1/1'));
    expect(await names('memory_mb < 262144')).toEqual(['renamed', 'small']);
    await registry.deleteNode(b.uuid);
    expect(await names('memory_mb < 262144')).toEqual(['renamed']);
    await registry.deleteNode(a.uuid);
    await registry.deleteNode(c.uuid);
  });

  test("a NIC's switch and port from raw LLDP when there is no lldp_processed (lldp_raw, else the inventory's)", async () => {
    const tlvs = (chassis: string, port: string) => [
      [1, '04' + chassis.replaceAll(':', '')],
      [2, '05' + hex(port)],
      [5, hex('leaf-raw')],
    ];
    const raw = await registry.createNode({ name: 'raw-lldp', driver: 'fake' });
    const inventoryOnly = await registry.createNode({ name: 'inventory-lldp', driver: 'fake' });
    await registry.fleet.put(raw.uuid, {
      inventory: { interfaces: [{ name: 'eno1', lldp: tlvs('aa:bb:cc:00:00:99', 'Ethernet9/9') }] },
      lldp_raw: { eno1: tlvs('aa:bb:cc:00:00:01', 'Ethernet1/7') },
    });
    await registry.fleet.put(inventoryOnly.uuid, { inventory: { interfaces: [{ name: 'eno1', lldp: tlvs('aa:bb:cc:00:00:02', 'Ethernet2/8') }] } });
    const seen = await query('interfaces[0].lldp.switch_id != null and interfaces[0].lldp.switch_port != null and interfaces[0].lldp.system_name != null');
    const lldp = (switchId: string, port: string) => ({ 'interfaces[0].lldp.switch_id': switchId, 'interfaces[0].lldp.switch_port': port, 'interfaces[0].lldp.system_name': 'leaf-raw' });
    expect(Object.fromEntries(seen.map((n) => [n.name, n.fields]))).toEqual({
      'raw-lldp': lldp('aa:bb:cc:00:00:01', 'Ethernet1/7'),
      'inventory-lldp': lldp('aa:bb:cc:00:00:02', 'Ethernet2/8'),
    });
    expect((await query('any(interfaces, lldp.switch_port == "Ethernet1/7")')).map((n) => n.name)).toEqual(['raw-lldp']);
    expect((await query('any(interfaces, lldp.switch_port == "Ethernet2/8")')).map((n) => n.name)).toEqual(['inventory-lldp']);
    await registry.deleteNode(raw.uuid);
    await registry.deleteNode(inventoryOnly.uuid);
  });

  test('finds strings that LIKE and JSON escape, through the compiled filter', async () => {
    const ports = ['back\\slash', 'quo"te', '50%', 'a_b', 'Ethernet1/1', 'ETHERNET1/1'];
    const uuids: string[] = [];
    for (const [i, port] of ports.entries()) {
      const node = await registry.createNode({ name: `odd-${i}`, driver: 'fake' });
      await registry.fleet.put(node.uuid, { inventory: { interfaces: [{ name: 'eno1' }], disks: [{ name: '/dev/sda', size: 1, serial: port }] }, all_interfaces: { eno1: { lldp_processed: { switch_port_id: port } } } });
      uuids.push(node.uuid);
    }
    for (const [i, port] of ports.entries()) {
      for (const text of [`any(interfaces, lldp.switch_port == ${JSON.stringify(port)})`, `disks[0].serial == ${JSON.stringify(port)}`]) {
        expect(compileFilter(parseExpr(text), registry.fleet.dialect)).toBeDefined();
        expect((await query(text)).map((n) => n.name)).toEqual([`odd-${i}`]);
      }
    }
    expect(await query('any(interfaces, lldp.switch_port == "50")')).toEqual([]);
    for (const uuid of uuids) await registry.deleteNode(uuid);
  });

  test('pages in uuid order with limit and marker', async () => {
    const uuids = await enroll(registry, 25, prng(SEED), false);
    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = await registry.fleet.query(parseExpr('count(disks) >= 1'), { limit: 10, marker });
      seen.push(...page.nodes.map((n) => n.uuid));
      marker = page.next;
      pages++;
    } while (marker);
    expect(seen).toEqual(uuids);
    expect(pages).toBe(3);
    for (const uuid of uuids) await registry.deleteNode(uuid);
  });

  test('the SQL pre-filter never drops a node the evaluator matches (random data)', async () => {
    const rand = prng(SEED);
    await enroll(registry, 200, rand, true);
    let compiled = 0;
    let exactOnes = 0;
    let matched = 0;
    for (let i = 0; i < 400; i++) {
      const text = randomExpr(rand);
      const expr = parseExpr(text);
      const filter = compileFilter(expr, registry.fleet.dialect);
      if (filter) compiled++;
      if (filter?.exact) exactOnes++;
      const withFilter = await query(text);
      const reference = await query(text, { fullScan: true });
      if (JSON.stringify(withFilter) !== JSON.stringify(reference)) throw new Error(`seed ${SEED}: ${text}: the pre-filter answers ${withFilter.length} nodes, the evaluator ${reference.length}`);
      if (reference.length > 0) matched++;
    }
    // The property means something only if many expressions compile and many match.
    console.log(`fleet pre-filter on ${db.kind}: ${compiled}/400 expressions compiled (${exactOnes} exactly), ${matched} matched nodes`);
    expect(compiled).toBeGreaterThan(100);
    expect(exactOnes).toBeGreaterThan(50);
    expect(matched).toBeGreaterThan(100);
  }, 120000);
});

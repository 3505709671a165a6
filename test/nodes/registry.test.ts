import { Migrator, sql } from 'kysely';
import { ConflictError, InvalidInputError, NotFoundError } from '../../common/errors';
import { openDatabase } from '../../nodes/db';
import { migrate, migrationProvider } from '../../nodes/migrations';
import { NodeRecordSchema } from '../../nodes/records';
import { describeEachDatabase } from './databases';
import { pipelinePatch } from './pipeline-patch';

const ipmi = (address: string, password = 'pw') => ({ ipmi_address: address, ipmi_username: 'admin', ipmi_password: password });

describeEachDatabase('node registry', (db) => {
  test('migrations run on open, record what ran, and are a no-op the second time', async () => {
    const url = await db.newUrl();
    await db.openRegistry(url);
    await db.openRegistry(url); // a second process starting on the same database
    const kysely = openDatabase(url);
    try {
      await migrate(kysely);
      const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(kysely);
      expect(rows.map((r) => r.name)).toEqual(['0001_nodes_ports_rules', '0002_provision_updated_at_maintenance_reason', '0003_introspection_runs', '0004_introspections_and_bulks', '0005_port_extra_target_power_state', '0006_inspection_rules', '0007_node_inspect_interface', '0008_introspection_history', '0009_acceptance', '0010_fleet_views']);
    } finally {
      await kysely.destroy();
    }
  });

  test('a database made by an older release is brought up to date, its nodes kept', async () => {
    const url = await db.newUrl();
    const kysely = openDatabase(url);
    try {
      const { error } = await new Migrator({ db: kysely, provider: migrationProvider }).migrateTo('0001_nodes_ports_rules');
      expect(error).toBeUndefined();
      await sql`insert into nodes (uuid, name, driver, driver_info, properties, extra, traits, provision_state, maintenance, created_at)
        values ('0b6c3a4e-6a39-4a8e-9b0e-2f9d7c1f7d11', 'old', 'fake', '{}', '{"cpus": 1}', '{}', '[]', 'manageable', 0, '2024-01-01T00:00:00.000Z')`.execute(kysely);
    } finally {
      await kysely.destroy();
    }
    const registry = await db.openRegistry(url);
    expect(await registry.getNodeOrThrow('old')).toMatchObject({ properties: { cpus: 1 }, provision_state: 'manageable', provision_updated_at: null });
    expect((await registry.beginProvision('old', 'provide')).provision_updated_at).not.toBeNull();
  });

  test('creates nodes and finds them by uuid or name', async () => {
    const registry = await db.openRegistry();
    const node = await registry.createNode({ name: 'n-1', driver: 'ipmi', driver_info: ipmi('10.0.0.1'), properties: { cpus: 2 }, resource_class: 'bm' });
    expect(NodeRecordSchema.parse(node)).toEqual(node);
    expect(node).toMatchObject({
      name: 'n-1',
      driver: 'ipmi',
      driver_info: { ipmi_address: '10.0.0.1', ipmi_port: 623, ipmi_password: 'pw' },
      properties: { cpus: 2 },
      provision_state: 'enroll',
      maintenance: false,
      traits: [],
    });
    expect(node.provision_updated_at).toBe(node.created_at);
    expect(await registry.getNode(node.uuid)).toEqual(node);
    expect(await registry.getNode('n-1')).toEqual(node);
    expect(await registry.getNode('n-2')).toBeUndefined();
    await expect(registry.getNodeOrThrow('n-2')).rejects.toThrow(new NotFoundError('Node n-2 could not be found.'));
  });

  test('names and uuids are unique, and the conflict names the field', async () => {
    const registry = await db.openRegistry();
    const node = await registry.createNode({ name: 'dup', driver: 'fake' });
    await expect(registry.createNode({ name: 'dup', driver: 'fake' })).rejects.toThrow(new ConflictError('name: a node named dup already exists'));
    await expect(registry.createNode({ uuid: node.uuid, driver: 'fake' })).rejects.toThrow(/^uuid: a node with uuid .* already exists/);
    const other = await registry.createNode({ name: 'other', driver: 'fake' });
    await expect(registry.patchNode(other.uuid, [{ op: 'replace', path: '/name', value: 'dup' }])).rejects.toThrow(ConflictError);
    // nameless nodes do not collide
    await registry.createNode({ driver: 'fake' });
    await registry.createNode({ driver: 'fake' });
  });

  test('bad input is a 400 naming the field', async () => {
    const registry = await db.openRegistry();
    await expect(registry.createNode({ driver: 'ipmi', driver_info: { ipmi_address: '10.0.0.1', ipmi_port: 'x' } })).rejects.toThrow(/^driver_info\.ipmi_port: /);
    await expect(registry.createNode({ driver: 'vmware' })).rejects.toThrow(/^driver: /);
    await expect(registry.createNode({ driver: 'fake', colour: 'red' })).rejects.toThrow(/colour/);
    await expect(registry.createNode({ driver: 'fake', properties: 'big' })).rejects.toThrow(/^properties: /);
    const node = await registry.createNode({ driver: 'fake' });
    await expect(registry.createPort({ node_uuid: node.uuid, address: '52:54:00:zz:00:01' })).rejects.toThrow(/^address: must be a MAC address/);
    await expect(registry.createPort({ node_uuid: 'nobody', address: '52:54:00:00:00:01' })).rejects.toThrow(/^node_uuid: node nobody does not exist/);
  });

  test('lists with filters and limit/marker pages', async () => {
    const registry = await db.openRegistry();
    const made = [];
    for (let i = 0; i < 7; i++) {
      made.push(
        await registry.createNode({ name: `${i % 2 ? 'Rack' : 'rack'}-${i}`, driver: i < 5 ? 'fake' : 'ipmi', driver_info: i < 5 ? {} : ipmi(`10.0.1.${i}`), resource_class: i % 3 ? 'small' : 'large' }),
      );
    }
    await registry.updateNode(made[0].uuid, () => ({ provision_state: 'manageable', maintenance: true }));
    const names = async (filter: object) => (await registry.listNodes(filter)).map((n) => n.name).sort();
    expect(await names({ driver: 'ipmi' })).toEqual(['Rack-5', 'rack-6']);
    expect(await names({ resource_class: 'large' })).toEqual(['Rack-3', 'rack-0', 'rack-6']);
    expect(await names({ provision_state: 'manageable' })).toEqual(['rack-0']);
    expect(await names({ maintenance: true })).toEqual(['rack-0']);
    expect(await names({ maintenance: false })).toHaveLength(6);
    // a prefix is case-sensitive on both databases
    expect(await names({ name_prefix: 'rack' })).toEqual(['rack-0', 'rack-2', 'rack-4', 'rack-6']);
    expect(await names({ name_prefix: 'Rack-' })).toEqual(['Rack-1', 'Rack-3', 'Rack-5']);
    expect(await names({ name_prefix: 'rack_' })).toEqual([]);

    const seen: string[] = [];
    let marker: string | undefined;
    for (let page = 0; page < 10; page++) {
      const nodes = await registry.listNodes({ limit: 3, marker });
      seen.push(...nodes.map((n) => n.uuid));
      if (nodes.length < 3) break;
      marker = nodes[nodes.length - 1].uuid;
    }
    expect(seen).toEqual(made.map((n) => n.uuid).sort());
  });

  test('an update keeps the rest of the node, moves updated_at and stamps provision changes', async () => {
    const registry = await db.openRegistry();
    const node = await registry.createNode({ driver: 'ipmi', driver_info: ipmi('10.0.0.9'), properties: { a: 1 } });
    const patched = await registry.patchNode(node.uuid, [
      { op: 'add', path: '/properties/b', value: 2 },
      { op: 'replace', path: '/driver_info/ipmi_password', value: '******' },
      { op: 'replace', path: '/maintenance', value: true },
    ]);
    expect(patched).toMatchObject({ properties: { a: 1, b: 2 }, maintenance: true, driver_info: { ipmi_password: 'pw' } });
    expect(patched.updated_at).not.toBeNull();
    expect(patched.provision_updated_at).toBe(node.provision_updated_at);
    const moved = await registry.updateNode(node.uuid, () => ({ provision_state: 'manageable' }));
    expect(moved.provision_updated_at! >= patched.updated_at!).toBe(true);
    const untouched = await registry.updateNode(node.uuid, () => null);
    expect(untouched).toEqual(moved);
  });

  test('provision actions follow the state machine', async () => {
    const registry = await db.openRegistry();
    const node = await registry.createNode({ driver: 'fake' });
    await expect(registry.beginProvision(node.uuid, 'provide')).rejects.toThrow(InvalidInputError);
    expect(await registry.beginProvision(node.uuid, 'manage')).toMatchObject({ provision_state: 'verifying', target_provision_state: 'manageable' });
    expect(await registry.finishProvision(node.uuid, 'verifying', { error: 'bad password' })).toMatchObject({
      provision_state: 'enroll',
      target_provision_state: null,
      last_error: 'bad password',
    });
    await registry.beginProvision(node.uuid, 'manage');
    expect(await registry.finishProvision(node.uuid, 'verifying', { error: null, power_state: 'power off' })).toMatchObject({
      provision_state: 'manageable',
      last_error: null,
      power_state: 'power off',
    });
    // a late outcome for a state the node has left changes nothing
    expect(await registry.finishProvision(node.uuid, 'verifying', { error: 'late' })).toMatchObject({ provision_state: 'manageable', last_error: null });
    const inspecting = await registry.beginProvision(node.uuid, 'inspect');
    expect(inspecting).toMatchObject({ provision_state: 'inspecting', target_provision_state: 'manageable', inspection_finished_at: null });
    expect(inspecting.inspection_started_at).not.toBeNull();
    const failed = await registry.finishProvision(node.uuid, 'inspecting', { error: 'timeout' });
    expect(failed).toMatchObject({ provision_state: 'inspect failed', last_error: 'timeout' });
    expect(failed.inspection_finished_at).not.toBeNull();
    await registry.beginProvision(node.uuid, 'manage');
    await registry.updateNode(node.uuid, () => ({ maintenance: true }));
    await expect(registry.beginProvision(node.uuid, 'provide')).rejects.toThrow(/maintenance/);
    await registry.updateNode(node.uuid, () => ({ maintenance: false }));
    expect(await registry.beginProvision(node.uuid, 'provide')).toMatchObject({ provision_state: 'available', last_error: null });
  });

  test('traits: set, add, remove', async () => {
    const registry = await db.openRegistry();
    const node = await registry.createNode({ driver: 'fake' });
    expect((await registry.setTraits(node.uuid, ['CUSTOM_B', 'HW_CPU_X86_AVX2', 'CUSTOM_B'])).traits).toEqual(['CUSTOM_B', 'HW_CPU_X86_AVX2']);
    expect((await registry.addTrait(node.uuid, 'CUSTOM_A')).traits).toEqual(['CUSTOM_A', 'CUSTOM_B', 'HW_CPU_X86_AVX2']);
    expect((await registry.addTrait(node.uuid, 'CUSTOM_A')).traits).toHaveLength(3);
    expect((await registry.removeTrait(node.uuid, 'CUSTOM_B')).traits).toEqual(['CUSTOM_A', 'HW_CPU_X86_AVX2']);
    await expect(registry.removeTrait(node.uuid, 'CUSTOM_B')).rejects.toThrow(NotFoundError);
    await expect(registry.addTrait(node.uuid, 'lower_case')).rejects.toThrow(/^trait: must be CUSTOM_/);
    await expect(registry.setTraits(node.uuid, ['CUSTOM_OK', 'CUSTOM_'])).rejects.toThrow(/^traits\.1: /);
    await expect(registry.setTraits(node.uuid, Array.from({ length: 51 }, (_, i) => `CUSTOM_${i}`))).rejects.toThrow(/^traits: /);
  });

  test('applyPatch merges properties, traits and ports in one transaction', async () => {
    const registry = await db.openRegistry();
    const node = await registry.createNode({ driver: 'fake', properties: { kept: true }, extra: { e: 1 } });
    await registry.setTraits(node.uuid, ['CUSTOM_OLD']);
    await registry.createPort({ node_uuid: node.uuid, address: '52:54:00:00:00:01', local_link_connection: { switch_id: 'aa:bb:cc:dd:ee:ff' } });
    const patched = await registry.applyPatch(
      node.uuid,
      pipelinePatch({
        properties: { cpus: 4 },
        addTraits: ['CUSTOM_NEW'],
        removeTraits: ['CUSTOM_OLD'],
        ports: [
          { address: '52:54:00:00:00:01', pxe_enabled: false },
          { address: '52:54:00:00:00:02', pxe_enabled: true, local_link_connection: { port_id: 'Eth1' }, physical_network: 'phys' },
        ],
      }),
    );
    expect(patched).toMatchObject({ properties: { kept: true, cpus: 4 }, extra: { e: 1 }, traits: ['CUSTOM_NEW'] });
    const ports = await registry.listPorts(node.uuid);
    expect(ports.map((p) => [p.address, p.pxe_enabled, p.local_link_connection, p.physical_network]).sort()).toEqual([
      ['52:54:00:00:00:01', false, { switch_id: 'aa:bb:cc:dd:ee:ff' }, null],
      ['52:54:00:00:00:02', true, { port_id: 'Eth1' }, 'phys'],
    ]);
    await registry.applyPatch(node.uuid, pipelinePatch({ removePorts: ['52:54:00:00:00:01'] }));
    expect((await registry.listPorts(node.uuid)).map((p) => p.address)).toEqual(['52:54:00:00:00:02']);

    // A MAC that belongs to another node fails the whole patch: the properties stay as they were.
    const other = await registry.createNode({ driver: 'fake' });
    await expect(
      registry.applyPatch(other.uuid, pipelinePatch({ properties: { lost: true }, ports: [{ address: '52:54:00:00:00:02', pxe_enabled: true }] })),
    ).rejects.toThrow(new ConflictError(`MAC 52:54:00:00:00:02 already belongs to node ${node.uuid}`));
    expect((await registry.getNodeOrThrow(other.uuid)).properties).toEqual({});
    expect(await registry.listPorts(other.uuid)).toEqual([]);
  });

  test('ports: MACs are normalized and unique; deleting a node deletes its ports', async () => {
    const registry = await db.openRegistry();
    const node = await registry.createNode({ driver: 'fake' });
    const port = await registry.createPort({ node_uuid: node.uuid, address: '52-54-00-AB-CD-EF' });
    expect(port).toMatchObject({ address: '52:54:00:ab:cd:ef', pxe_enabled: true, local_link_connection: {}, physical_network: null });
    await expect(registry.createPort({ node_uuid: node.uuid, address: '52:54:00:ab:cd:ef' })).rejects.toThrow(
      new ConflictError('address: a port with MAC address 52:54:00:ab:cd:ef already exists'),
    );
    expect(await registry.listPorts(undefined, { address: '52:54:00:ab:cd:ef' })).toHaveLength(1);
    await registry.updateNode(node.uuid, () => ({ provision_state: 'inspecting' }));
    await expect(registry.deleteNode(node.uuid)).rejects.toThrow(/^Can not delete node .* while it is in provision state "inspecting"/);
    await registry.updateNode(node.uuid, () => ({ maintenance: true }));
    await registry.deleteNode(node.uuid);
    await expect(registry.getNode(node.uuid)).resolves.toBeUndefined();
    await expect(registry.getPortOrThrow(port.uuid)).rejects.toThrow(NotFoundError);
    await expect(registry.deletePort(port.uuid)).rejects.toThrow(NotFoundError);
  });

  test("deleting a node deletes every row about it and answers its history's runs; a refused delete and another node's rows keep theirs", async () => {
    const url = await db.newUrl();
    const registry = await db.openRegistry(url);
    const kysely = openDatabase(url);
    try {
      // Every table with a node_uuid column: bulk_nodes is a bulk's record of its outcome and keeps naming the node.
      const columns =
        db.kind === 'sqlite'
          ? sql<{ name: string }>`select m.name from sqlite_master m join pragma_table_info(m.name) p where m.type = 'table' and p.name = 'node_uuid'`
          : sql<{ name: string }>`select table_name as name from information_schema.columns where column_name = 'node_uuid' and table_schema = current_schema()`;
      const perNode = ['acceptance', 'fleet_views', 'introspection_history', 'introspection_runs', 'introspections', 'ports'] as const;
      expect((await columns.execute(kysely)).rows.map((r) => r.name).sort()).toEqual([...perNode, 'bulk_nodes'].sort());
      const rows = async (uuid: string) => {
        const counts: Record<string, number> = {};
        for (const table of perNode) counts[table] = (await kysely.selectFrom(table).select('node_uuid').where('node_uuid', '=', uuid).execute()).length;
        return counts;
      };
      const withData = async (name: string, mac: string) => {
        const node = await registry.createNode({ name, driver: 'fake' });
        await registry.createPort({ node_uuid: node.uuid, address: mac });
        await registry.introspections.begin(node.uuid, 'waiting');
        await registry.runs.open(node.uuid);
        for (const runId of [`${name}-run-1`, `${name}-run-2`]) {
          await registry.history.record({ nodeUuid: node.uuid, runId, source: 'introspection', sha256: 'a'.repeat(64), processedBytes: 2, unprocessedBytes: 2 });
        }
        await registry.fleet.put(node.uuid, { inventory: { interfaces: [{ name: 'eno1' }], disks: [] } });
        await registry.acceptance.record(node.uuid, { status: 'pass', profile: null, planned_ports: 0, rack: null, differences: [], miscabled: [] }, 20);
        return node;
      };
      const full = { acceptance: 1, fleet_views: 1, introspection_history: 2, introspection_runs: 1, introspections: 1, ports: 1 };
      const gone = await withData('del-gone', '52:54:00:00:0d:01');
      const kept = await withData('del-kept', '52:54:00:00:0d:02');
      expect(await rows(gone.uuid)).toEqual(full);

      await registry.updateNode(gone.uuid, () => ({ provision_state: 'inspecting' }));
      await expect(registry.deleteNode('del-gone')).rejects.toThrow(ConflictError);
      expect(await rows(gone.uuid)).toEqual(full);

      await registry.updateNode(gone.uuid, () => ({ maintenance: true }));
      const deleted = await registry.deleteNode('del-gone');
      expect({ ...deleted, historyRunIds: [...deleted.historyRunIds].sort() }).toEqual({ uuid: gone.uuid, historyRunIds: ['del-gone-run-1', 'del-gone-run-2'] });
      expect(Object.values(await rows(gone.uuid))).toEqual(perNode.map(() => 0));
      expect(await rows(kept.uuid)).toEqual(full);
      expect(await registry.deleteNode(kept.uuid)).toMatchObject({ uuid: kept.uuid });
      expect(await registry.deleteNode((await registry.createNode({ driver: 'fake' })).uuid)).toMatchObject({ historyRunIds: [] });
    } finally {
      await kysely.destroy();
    }
  });

  describe('runs and callback lookup', () => {
    const identity = (macs: string[], bmcAddresses: string[]) => ({ macs, bmcAddresses });

    test('by a MAC, by a BMC IPv4 or IPv6 address, by a Redfish host, among open runs only', async () => {
      const registry = await db.openRegistry();
      const byMac = await registry.createNode({ driver: 'fake' });
      await registry.createPort({ node_uuid: byMac.uuid, address: '52:54:00:00:01:01' });
      const v4 = await registry.createNode({ driver: 'ipmi', driver_info: ipmi('192.0.2.10') });
      const v6 = await registry.createNode({ driver: 'ipmi', driver_info: ipmi('[FD00:0:0:0::0A]') });
      const redfish = await registry.createNode({
        driver: 'redfish',
        driver_info: { redfish_address: 'https://[2001:db8::5]:8443', redfish_system_id: '/redfish/v1/Systems/1' },
      });
      const { runs } = registry;
      // no run open: nothing is waiting, whatever matches
      await expect(runs.findWaiting(identity(['52:54:00:00:01:01'], []))).rejects.toThrow(NotFoundError);
      for (const node of [byMac, v4, v6, redfish]) await runs.open(node.uuid);
      expect(await runs.findWaiting(identity(['52:54:00:00:01:01', '52:54:00:99:99:99'], []))).toBe(byMac.uuid);
      expect(await runs.findWaiting(identity([], ['192.0.2.10']))).toBe(v4.uuid);
      expect(await runs.findWaiting(identity(['52:54:00:99:99:99'], ['0.0.0.0', 'fd00::a']))).toBe(v6.uuid);
      expect(await runs.findWaiting(identity([], ['FD00::000A']))).toBe(v6.uuid);
      expect(await runs.findWaiting(identity([], ['2001:db8:0::5']))).toBe(redfish.uuid);
      // the same node by MAC and by BMC is one match
      await registry.createPort({ node_uuid: v4.uuid, address: '52:54:00:00:01:02' });
      expect(await runs.findWaiting(identity(['52:54:00:00:01:02'], ['192.0.2.10']))).toBe(v4.uuid);
      await runs.close(v4.uuid);
      await expect(runs.findWaiting(identity(['52:54:00:00:01:02'], ['192.0.2.10']))).rejects.toThrow(NotFoundError);
    });

    test('a token names its run until the run closes; a new run has a new token', async () => {
      const registry = await db.openRegistry();
      const node = await registry.createNode({ driver: 'fake' });
      const first = await registry.runs.open(node.uuid);
      expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await registry.runs.nodeOfToken(first)).toBe(node.uuid);
      const second = await registry.runs.open(node.uuid);
      expect(second).not.toBe(first);
      expect(await registry.runs.nodeOfToken(first)).toBeUndefined();
      expect(await registry.runs.tokenOf(node.uuid)).toBe(second);
      await registry.runs.close(node.uuid);
      expect(await registry.runs.nodeOfToken(second)).toBeUndefined();
    });

    test('no match is a 404, several matches a 409, and neither names a node', async () => {
      const registry = await db.openRegistry();
      const a = await registry.createNode({ driver: 'fake' });
      await registry.createPort({ node_uuid: a.uuid, address: '52:54:00:00:02:01' });
      const b = await registry.createNode({ driver: 'ipmi', driver_info: ipmi('fd00::20') });
      const c = await registry.createNode({ driver: 'ipmi', driver_info: ipmi('192.0.2.30') });
      const d = await registry.createNode({ driver: 'ipmi', driver_info: ipmi('192.0.2.30') });
      for (const node of [a, b, c, d]) await registry.runs.open(node.uuid);
      const miss = registry.runs.findWaiting(identity(['52:54:00:00:02:99'], ['::', '0.0.0.0', '192.0.2.99']));
      await expect(miss).rejects.toThrow(NotFoundError);
      for (const both of [identity(['52:54:00:00:02:01'], ['fd00::20']), identity([], ['192.0.2.30'])]) {
        const error = await registry.runs.findWaiting(both).catch((err: Error) => err);
        expect(error).toBeInstanceOf(ConflictError);
        for (const node of [a, b, c, d]) expect((error as Error).message).not.toContain(node.uuid);
      }
    });
  });
});

import { ConflictError, InvalidInputError } from '../../common/errors';
import type { DiscoveredServer } from '../../nodes/discovery';
import { describeEachDatabase } from './databases';
import { pipelinePatch } from './pipeline-patch';

// Discovery's enrollment over real databases: one server is one node, however many of its
// callbacks race through however many registries (API processes) at once.

const RACERS = 12;
const server = (n: number, overrides: Partial<DiscoveredServer> = {}): DiscoveredServer => ({
  macs: [`52:54:00:d0:00:${n.toString(16).padStart(2, '0')}`, `52:54:00:d1:00:${n.toString(16).padStart(2, '0')}`],
  bootMac: `52:54:00:d0:00:${n.toString(16).padStart(2, '0')}`,
  bmcAddresses: [`192.0.2.${n}`, '::/0'],
  ...overrides,
});

describeEachDatabase('discovery', (db) => {
  test(`${RACERS} callbacks of one server racing through three registries enroll exactly one node`, async () => {
    const url = await db.newUrl();
    const registries = [await db.openRegistry(url), await db.openRegistry(url), await db.openRegistry(url)];
    const results = await Promise.all(Array.from({ length: RACERS }, (_, i) => registries[i % 3].discoveries.enroll(server(1), 'ipmi')));

    expect(results.filter((r) => r.enrolled)).toHaveLength(1);
    const uuid = results.find((r) => r.enrolled)!.uuid;
    expect(new Set(results.map((r) => r.uuid))).toEqual(new Set([uuid]));
    const nodes = await registries[0].listNodes();
    expect(nodes.map((n) => n.uuid)).toEqual([uuid]);
    expect(nodes[0]).toMatchObject({
      driver: 'ipmi',
      driver_info: { ipmi_address: '192.0.2.1', ipmi_port: 623, ipmi_username: '', ipmi_password: '' },
      extra: { auto_discovered: true },
      provision_state: 'enroll',
      name: null,
    });
    expect(nodes[0].inspection_started_at).not.toBeNull();
    const ports = await registries[0].listPorts(uuid);
    expect(ports.map((p) => [p.address, p.pxe_enabled]).sort()).toEqual([
      ['52:54:00:d0:00:01', true],
      ['52:54:00:d1:00:01', false],
    ]);
  });

  test('a server that reports only its BMC address is enrolled once too', async () => {
    const url = await db.newUrl();
    const registries = [await db.openRegistry(url), await db.openRegistry(url)];
    const bmcOnly = server(2, { macs: [], bootMac: null });
    const results = await Promise.all(Array.from({ length: RACERS }, (_, i) => registries[i % 2].discoveries.enroll(bmcOnly, 'ipmi')));
    expect(results.filter((r) => r.enrolled)).toHaveLength(1);
    expect(await registries[0].listNodes()).toHaveLength(1);
    expect(await registries[0].listPorts()).toEqual([]);
  });

  test('a server a node already matches, by a MAC or by its BMC address, is known and never enrolled again', async () => {
    const registry = await db.openRegistry();
    const byMac = await registry.createNode({ name: 'has-the-mac', driver: 'ipmi', driver_info: { ipmi_address: '198.51.100.7' } });
    await registry.createPort({ node_uuid: byMac.uuid, address: server(3).macs[1] });
    const byBmc = await registry.createNode({ name: 'has-the-bmc', driver: 'ipmi', driver_info: { ipmi_address: '192.0.2.4' } });

    expect(await registry.discoveries.unknown(server(3))).toBe(false);
    expect(await registry.discoveries.enroll(server(3), 'ipmi')).toEqual({ uuid: byMac.uuid, enrolled: false });
    expect(await registry.discoveries.unknown(server(4))).toBe(false);
    expect(await registry.discoveries.enroll(server(4), 'ipmi')).toEqual({ uuid: byBmc.uuid, enrolled: false });
    expect(await registry.discoveries.unknown(server(5))).toBe(true);
    expect(await registry.listNodes()).toHaveLength(2);
  });

  test('a server reporting neither a MAC nor a usable BMC address is refused', async () => {
    const registry = await db.openRegistry();
    const nobody = server(6, { macs: ['00:00:00:00:00:00'], bootMac: null, bmcAddresses: ['0.0.0.0', '::/0'] });
    await expect(registry.discoveries.enroll(nobody, 'ipmi')).rejects.toThrow(InvalidInputError);
    expect(await registry.listNodes()).toEqual([]);
  });

  test('redfish: the BMC address becomes redfish_address (IPv6 in brackets); without one, driver_info names no BMC', async () => {
    const registry = await db.openRegistry();
    const v6 = await registry.discoveries.enroll(server(7, { bmcAddresses: ['2001:db8::7'] }), 'redfish');
    expect((await registry.getNodeOrThrow(v6.uuid)).driver_info).toEqual({ redfish_address: 'https://[2001:db8::7]', redfish_username: '', redfish_password: '' });
    const macOnly = await registry.discoveries.enroll(server(8, { bmcAddresses: [] }), 'ipmi');
    expect((await registry.getNodeOrThrow(macOnly.uuid)).driver_info).toEqual({ ipmi_port: 623, ipmi_username: '', ipmi_password: '' });
  });

  test("rules' driver_info keys: checked field by field, and a new BMC address drops the secrets not set with it", async () => {
    const registry = await db.openRegistry();
    const { uuid } = await registry.discoveries.enroll(server(9), 'ipmi');
    await registry.applyPatch(uuid, pipelinePatch({ driverInfo: { ipmi_username: 'admin', ipmi_password: 'discovery-secret' } }));
    expect((await registry.getNodeOrThrow(uuid)).driver_info).toMatchObject({ ipmi_address: '192.0.2.9', ipmi_username: 'admin', ipmi_password: 'discovery-secret' });

    await expect(registry.applyPatch(uuid, pipelinePatch({ driverInfo: { ipmi_port: 'not a port' } }))).rejects.toThrow(/driver_info\.ipmi_port/);
    await expect(registry.applyPatch(uuid, pipelinePatch({ driverInfo: { not_an_ipmi_field: 1 } }))).rejects.toThrow(/driver_info/);

    await registry.applyPatch(uuid, pipelinePatch({ driverInfo: { ipmi_address: '203.0.113.9' } }));
    const moved = (await registry.getNodeOrThrow(uuid)).driver_info;
    expect(moved).toMatchObject({ ipmi_address: '203.0.113.9', ipmi_username: 'admin' });
    expect(moved.ipmi_password).toBe('');
  });

  test('a port another writer takes meanwhile is not stolen: discovery names its node', async () => {
    const url = await db.newUrl();
    const [api, discovery] = [await db.openRegistry(url), await db.openRegistry(url)];
    const node = await api.createNode({ name: 'operator-enrolled', driver: 'fake' });
    const racing = Promise.all(Array.from({ length: RACERS }, () => discovery.discoveries.enroll(server(10), 'ipmi')));
    const port = await api.createPort({ node_uuid: node.uuid, address: server(10).macs[0] }).catch((err) => err);
    const results = await racing;
    // Either the operator's port came first (no discovery) or discovery did (the operator's port is a 409).
    if (port instanceof ConflictError) {
      expect(results.filter((r) => r.enrolled)).toHaveLength(1);
    } else {
      expect(results.every((r) => r.uuid === node.uuid && !r.enrolled)).toBe(true);
    }
  });
});

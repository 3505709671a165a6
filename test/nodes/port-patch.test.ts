import type { NodeRegistry } from '../../nodes';
import { describeEachDatabase } from './databases';
import { faultOf, startNodeApi, type NodeApi } from './http';

// PATCH /v1/ports/<port>, as Ironic takes it: what ironic-inspector's local_link_connection and
// validate_interfaces hooks send when Introspector's node API is its Ironic.

describeEachDatabase('PATCH /v1/ports/<port>', (db) => {
  let registry: NodeRegistry;
  let api: NodeApi;

  beforeAll(async () => {
    registry = await db.openRegistry();
    api = await startNodeApi(registry);
  });
  afterAll(() => api?.close());

  const call = (...args: Parameters<NodeApi['call']>) => api.call(...args);
  let count = 0;
  const newPort = async (address = `52:54:00:ee:00:${(++count).toString(16).padStart(2, '0')}`) => {
    const node = await call('POST', '/v1/nodes', { name: `port-patch-${count}`, driver: 'fake' });
    const port = await call('POST', '/v1/ports', { node_uuid: node.body.uuid, address });
    expect(port.status).toBe(201);
    return port.body;
  };

  test("sets the switch port as ironic-inspector's local_link_connection hook sends it, and keeps it", async () => {
    const port = await newPort();
    const res = await call('PATCH', `/v1/ports/${port.uuid}`, [
      { op: 'add', path: '/local_link_connection/switch_id', value: '88:5a:92:ec:54:59' },
      { op: 'add', path: '/local_link_connection/port_id', value: 'Ethernet1/7' },
      { op: 'add', path: '/local_link_connection/switch_info', value: 'leaf-sw-01' },
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      uuid: port.uuid,
      node_uuid: port.node_uuid,
      address: port.address,
      local_link_connection: { switch_id: '88:5a:92:ec:54:59', port_id: 'Ethernet1/7', switch_info: 'leaf-sw-01' },
      links: [{ href: `${api.url}/v1/ports/${port.uuid}`, rel: 'self' }, expect.anything()],
    });
    expect(res.body.updated_at).not.toBeNull();
    expect((await call('GET', `/v1/ports/${port.uuid}`)).body.local_link_connection.port_id).toBe('Ethernet1/7');
  });

  test('replaces pxe_enabled, the MAC (normalised) and the physical network; remove restores the defaults', async () => {
    const port = await newPort();
    const changed = await call('PATCH', `/v1/ports/${port.uuid}`, [
      { op: 'replace', path: '/pxe_enabled', value: false },
      { op: 'replace', path: '/address', value: '52:54:00:EE:10:01' },
      { op: 'add', path: '/physical_network', value: 'provisioning' },
    ]);
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ pxe_enabled: false, address: '52:54:00:ee:10:01', physical_network: 'provisioning' });
    const removed = await call('PATCH', `/v1/ports/${port.uuid}`, [
      { op: 'remove', path: '/pxe_enabled' },
      { op: 'remove', path: '/physical_network' },
      { op: 'remove', path: '/local_link_connection' },
    ]);
    expect(removed.body).toMatchObject({ pxe_enabled: true, physical_network: null, local_link_connection: {} });
  });

  test.each([
    [[{ op: 'replace', path: '/node_uuid', value: '0b9b5a4e-7f5b-4d3c-9a53-0d7c8f1e2a11' }], /\/node_uuid: "node_uuid" is read-only/],
    [[{ op: 'replace', path: '/uuid', value: 'x' }], /\/uuid: "uuid" is read-only/],
    [[{ op: 'add', path: '/vendor/name', value: 'x' }], /\/vendor\/name: ports have no field "vendor"/],
    [[{ op: 'remove', path: '/address' }], /\/address: "address" is required and cannot be removed/],
    [[{ op: 'replace', path: '/address', value: 'not-a-mac' }], /address: must be a MAC address/],
    [[{ op: 'replace', path: '/pxe_enabled', value: 'yes' }], /pxe_enabled/],
    [[{ op: 'add', path: '/local_link_connection/port_id', value: 7 }], /local_link_connection/],
    [{ op: 'add', path: '/pxe_enabled', value: true }, /expected array/],
  ])('a bad patch answers 400 naming the field: %j', async (patch, message) => {
    const port = await newPort();
    const res = await call('PATCH', `/v1/ports/${port.uuid}`, patch);
    expect(res.status).toBe(400);
    expect(faultOf(res)).toMatch(message);
    expect((await call('GET', `/v1/ports/${port.uuid}`)).body).toMatchObject({ address: port.address, pxe_enabled: true, local_link_connection: {} });
  });

  test("another port's MAC answers 409; an unknown port 404", async () => {
    const taken = await newPort();
    const port = await newPort();
    const res = await call('PATCH', `/v1/ports/${port.uuid}`, [{ op: 'replace', path: '/address', value: taken.address }]);
    expect(res.status).toBe(409);
    expect(faultOf(res)).toMatch(/already exists/);
    expect((await call('PATCH', '/v1/ports/0b9b5a4e-7f5b-4d3c-9a53-0d7c8f1e2a11', [{ op: 'replace', path: '/pxe_enabled', value: false }])).status).toBe(404);
  });

  test('concurrent patches of different keys are all kept', async () => {
    const port = await newPort();
    const keys = ['switch_id', 'port_id', 'switch_info', 'a', 'b', 'c', 'd', 'e'];
    const answers = await Promise.all(keys.map((key) => registry.patchPort(port.uuid, [{ op: 'add', path: `/local_link_connection/${key}`, value: key }])));
    expect(answers).toHaveLength(keys.length);
    const stored = await registry.getPortOrThrow(port.uuid);
    expect(Object.keys(stored.local_link_connection).sort()).toEqual([...keys].sort());
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { objectNames, ObjectStore, type ObjectStoreSettings } from '../../activities/storage';
import { loadConfig } from '../../common/config';
import { createLogger, setLogger } from '../../common/log';
import type { NodeRegistry } from '../../nodes';
import { startBackingServices, type Service } from '../../scripts/services';
import { describeEachDatabase } from './databases';
import { faultOf, startNodeApi, type NodeApi } from './http';

// The node API over HTTP, shaped like Ironic's v1: what the openstack baremetal client and
// the introspector CLI send, and the answers they expect. Introspection data is kept in a real
// versitygw (19667), where deleting a node deletes its objects.

const IPMI = { ipmi_address: '192.0.2.50', ipmi_username: 'admin', ipmi_password: 'Very-Secret-1' };
const S3_PORT = 19667;

let s3Dir = '';
let s3Services: Service[] = [];
let s3Settings: ObjectStoreSettings;
let store: ObjectStore;

beforeAll(async () => {
  s3Dir = fs.mkdtempSync(path.join(os.tmpdir(), 'introspector-node-api-'));
  const config = loadConfig({ INTROSPECTOR_DATA_DIR: s3Dir, S3_ENDPOINT: `http://127.0.0.1:${S3_PORT}` });
  s3Services = await startBackingServices(config, { uiPort: 0, temporal: false, s3: true });
  s3Settings = { endpoint: config.S3_ENDPOINT, region: config.S3_REGION, bucket: config.S3_BUCKET, accessKeyId: config.S3_ACCESS_KEY, secretAccessKey: config.S3_SECRET_KEY };
  store = new ObjectStore(s3Settings);
  await store.ensureBucket();
}, 60_000);

afterAll(async () => {
  store?.destroy();
  for (const s of s3Services.reverse()) await s.stop();
  if (s3Dir) fs.rmSync(s3Dir, { recursive: true, force: true });
});

describeEachDatabase('node API', (db) => {
  let registry: NodeRegistry;
  let api: NodeApi;
  const started: string[] = [];
  let failInspection: Error | undefined;

  beforeAll(async () => {
    registry = await db.openRegistry();
    api = await startNodeApi(registry, {
      store,
      startInspection: async (uuid) => {
        if (failInspection) throw failInspection;
        started.push(uuid);
      },
    });
  });
  afterAll(() => api?.close());

  const call = (...args: Parameters<NodeApi['call']>) => api.call(...args);
  const enroll = async (body: Record<string, unknown>) => {
    const res = await call('POST', '/v1/nodes', body);
    expect(res.status).toBe(201);
    return res.body;
  };

  describe('versions', () => {
    test('every answer carries the version headers, errors too', async () => {
      for (const res of [await call('GET', '/v1/nodes'), await call('GET', '/v1/nodes/nope'), await call('GET', '/')]) {
        expect(res.headers.get('x-openstack-ironic-api-minimum-version')).toBe('1.1');
        expect(res.headers.get('x-openstack-ironic-api-maximum-version')).toBe('1.96');
        expect(res.headers.get('x-openstack-ironic-api-version')).toBe('1.96');
      }
    });

    test('the version asked for is the version answered', async () => {
      const at = async (headers: Record<string, string>) => (await call('GET', '/v1/nodes', undefined, headers)).headers.get('x-openstack-ironic-api-version');
      expect(await at({ 'X-OpenStack-Ironic-API-Version': '1.31' })).toBe('1.31');
      expect(await at({ 'X-OpenStack-Ironic-API-Version': 'latest' })).toBe('1.96');
      expect(await at({ 'OpenStack-API-Version': 'baremetal 1.60' })).toBe('1.60');
    });

    test.each(['1.97', '1.0', '2.1', 'one', '1.'])('version %s answers 406 with the range', async (version) => {
      const res = await call('GET', '/v1/nodes', undefined, { 'X-OpenStack-Ironic-API-Version': version });
      expect(res.status).toBe(406);
      expect(faultOf(res)).toMatch(/The supported version range is: \[1\.1, 1\.96\]/);
      expect(res.headers.get('x-openstack-ironic-api-maximum-version')).toBe('1.96');
    });

    test('GET / and GET /v1 answer Ironic version documents', async () => {
      const root = await call('GET', '/');
      expect(root.status).toBe(200);
      const version = { id: 'v1', links: [{ href: `${api.url}/v1/`, rel: 'self' }], status: 'CURRENT', min_version: '1.1', version: '1.96' };
      expect(root.body).toEqual({ name: 'OpenStack Ironic API', description: expect.any(String), default_version: version, versions: [version] });
      const v1 = await call('GET', '/v1');
      expect(v1.status).toBe(200);
      expect(v1.body).toMatchObject({
        id: 'v1',
        media_types: { base: 'application/json', type: 'application/vnd.openstack.ironic.v1+json' },
        nodes: [
          { href: `${api.url}/v1/nodes/`, rel: 'self' },
          { href: `${api.url}/nodes/`, rel: 'bookmark' },
        ],
        ports: [
          { href: `${api.url}/v1/ports/`, rel: 'self' },
          { href: `${api.url}/ports/`, rel: 'bookmark' },
        ],
        version,
      });
      expect(v1.body.links[0]).toEqual({ href: `${api.url}/v1/`, rel: 'self' });
      expect((await call('GET', '/v1/')).status).toBe(200);
    });
  });

  describe('nodes', () => {
    test('enroll, show (secrets masked), delete', async () => {
      const node = await enroll({ name: 'api-show', driver: 'ipmi', driver_info: IPMI, properties: { cpus: 2 } });
      expect(node).toMatchObject({
        name: 'api-show',
        driver: 'ipmi',
        driver_info: { ipmi_address: '192.0.2.50', ipmi_password: '******', ipmi_port: 623 },
        provision_state: 'enroll',
        instance_uuid: null,
        links: [
          { href: `${api.url}/v1/nodes/${node.uuid}`, rel: 'self' },
          { href: `${api.url}/nodes/${node.uuid}`, rel: 'bookmark' },
        ],
      });
      expect(JSON.stringify(node)).not.toContain('Very-Secret-1');
      const shown = await call('GET', '/v1/nodes/api-show');
      expect(shown.body).toEqual(node);
      expect((await call('GET', `/v1/nodes/${node.uuid}?fields=uuid,provision_state`)).body).toEqual({
        uuid: node.uuid,
        provision_state: 'enroll',
        links: node.links,
      });
      expect((await call('DELETE', '/v1/nodes/api-show')).status).toBe(204);
      const gone = await call('GET', `/v1/nodes/${node.uuid}`);
      expect(gone.status).toBe(404);
      expect(faultOf(gone)).toBe(`Node ${node.uuid} could not be found.`);
    });

    test('lists in the short form, in full with detail, filtered and in pages with a next link', async () => {
      for (let i = 0; i < 5; i++) await enroll({ name: `page-${i}`, driver: 'fake', resource_class: i < 2 ? 'gpu' : 'cpu' });
      const short = await call('GET', '/v1/nodes?name_prefix=page-');
      expect(short.body.nodes).toHaveLength(5);
      expect(Object.keys(short.body.nodes[0]).sort()).toEqual(['instance_uuid', 'links', 'maintenance', 'name', 'power_state', 'provision_state', 'uuid']);
      expect(short.body.next).toBeUndefined();
      for (const path of ['/v1/nodes?detail=true&name_prefix=page-', '/v1/nodes/detail?name_prefix=page-']) {
        const detailed = await call('GET', path);
        expect(detailed.body.nodes[0]).toHaveProperty('driver_info');
        expect(detailed.body.nodes[0]).toHaveProperty('properties');
      }
      const gpu = await call('GET', '/v1/nodes?resource_class=gpu&name_prefix=page-&fields=name,resource_class');
      expect(gpu.body.nodes.map((n: any) => [n.name, n.resource_class]).sort()).toEqual([
        ['page-0', 'gpu'],
        ['page-1', 'gpu'],
      ]);
      expect((await call('GET', '/v1/nodes?provision_state=enroll&driver=fake&name_prefix=page-')).body.nodes).toHaveLength(5);
      expect((await call('GET', '/v1/nodes?provision_state=available&name_prefix=page-')).body.nodes).toHaveLength(0);

      // follow next links as the client does, until a page is not full
      const names: string[] = [];
      let next: string | undefined = `/v1/nodes?name_prefix=page-&limit=2&fields=name`;
      let pages = 0;
      while (next) {
        const page = await call('GET', next.replace(api.url, ''));
        expect(page.status).toBe(200);
        names.push(...page.body.nodes.map((n: any) => n.name));
        next = page.body.next;
        if (next) expect(next).toMatch(new RegExp(`^${api.url}/v1/nodes\\?.*limit=2.*marker=`));
        pages += 1;
      }
      expect(pages).toBe(3);
      expect(names.sort()).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
    });

    test('list parameters are checked', async () => {
      const cases: [string, RegExp][] = [
        ['/v1/nodes?colour=red', /colour/],
        ['/v1/nodes?limit=0', /^limit: /],
        ['/v1/nodes?limit=ten', /^limit: /],
        ['/v1/nodes?marker=not-a-uuid', /^marker: /],
        ['/v1/nodes?driver=vmware', /^driver: /],
        ['/v1/nodes?provision_state=deployed', /^provision_state: /],
        ['/v1/nodes?maintenance=maybe', /^maintenance: /],
        ['/v1/nodes?fields=uuid,colour', /fields: "colour" is not a node field/],
        ['/v1/nodes?fields=uuid&detail=true', /^fields, detail/],
      ];
      for (const [path, message] of cases) {
        const res = await call('GET', path);
        expect([path, res.status]).toEqual([path, 400]);
        expect(faultOf(res)).toMatch(message);
      }
    });

    test('PATCH applies JSON Patch and keeps secrets written back as ******', async () => {
      const node = await enroll({ name: 'api-patch', driver: 'ipmi', driver_info: IPMI, properties: { cpus: 2 }, extra: { a: 1 } });
      const res = await call('PATCH', `/v1/nodes/${node.uuid}`, [
        { op: 'add', path: '/properties/memory_mb', value: 4096 },
        { op: 'replace', path: '/properties/cpus', value: 4 },
        { op: 'remove', path: '/extra/a' },
        { op: 'add', path: '/extra/rack', value: 'r1' },
        { op: 'replace', path: '/name', value: 'api-patched' },
        { op: 'add', path: '/resource_class', value: 'large' },
        { op: 'replace', path: '/maintenance', value: true },
        { op: 'replace', path: '/driver_info', value: { ...node.driver_info, ipmi_cipher_suite: 17 } },
      ]);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        name: 'api-patched',
        properties: { cpus: 4, memory_mb: 4096 },
        extra: { rack: 'r1' },
        resource_class: 'large',
        maintenance: true,
        driver_info: { ipmi_cipher_suite: 17, ipmi_password: '******' },
      });
      expect((await registry.getNodeOrThrow(node.uuid)).driver_info.ipmi_password).toBe('Very-Secret-1');
      await call('PATCH', '/v1/nodes/api-patched', [{ op: 'replace', path: '/driver_info/ipmi_password', value: 'Changed-2' }]);
      expect((await registry.getNodeOrThrow(node.uuid)).driver_info.ipmi_password).toBe('Changed-2');
      // the JSON Patch media type is accepted too
      const typed = await call('PATCH', '/v1/nodes/api-patched', JSON.stringify([{ op: 'remove', path: '/resource_class' }]), {
        'content-type': 'application/json-patch+json',
      });
      expect(typed.status).toBe(200);
      expect(typed.body.resource_class).toBeNull();
    });

    test('bad PATCHes answer 400 naming the path or field', async () => {
      await enroll({ name: 'api-bad-patch', driver: 'fake' });
      const cases: [unknown, RegExp][] = [
        [[{ op: 'replace', path: '/provision_state', value: 'available' }], /"provision_state" is read-only/],
        [[{ op: 'add', path: '/colour', value: 'red' }], /\/colour: nodes have no field "colour"/],
        [[{ op: 'replace', path: '/properties/missing', value: 1 }], /patch\[0\] replace \/properties\/missing: there is nothing to replace/],
        [[{ op: 'copy', from: '/name', path: '/extra/name' }], /^0\.op: /],
        [[{ op: 'add', path: '/extra/x' }], /^0\.value: /],
        [{ op: 'add', path: '/extra/x', value: 1 }, /^\(body\): .*array/],
        [[{ op: 'replace', path: '/maintenance', value: 'yes' }], /^maintenance: /],
        [[{ op: 'replace', path: '/driver', value: 'vmware' }], /^driver: /],
      ];
      for (const [body, message] of cases) {
        const res = await call('PATCH', '/v1/nodes/api-bad-patch', body);
        expect([body, res.status]).toEqual([body, 400]);
        expect(faultOf(res)).toMatch(message);
      }
    });
  });

  describe("deleting a node deletes its introspection data", () => {
    const runIds = ['run-1', 'run-2'];
    /** A node with an introspection's data and two history entries, written as processing writes them. */
    const withData = async (name: string) => {
      const node = await enroll({ name, driver: 'fake' });
      const uuid: string = node.uuid;
      await registry.introspections.begin(uuid, 'finished');
      for (const runId of runIds) await registry.history.record({ nodeUuid: uuid, runId, source: 'introspection', sha256: 'b'.repeat(64), processedBytes: 2, unprocessedBytes: 2 });
      await registry.fleet.put(uuid, { inventory: { interfaces: [{ name: 'eno1' }], disks: [] } });
      const data = [
        objectNames.processed(uuid),
        objectNames.unprocessed(uuid),
        objectNames.extraHardware(uuid),
        objectNames.logs(uuid),
        ...runIds.flatMap((runId) => [objectNames.history(uuid, runId), objectNames.historyUnprocessed(uuid, runId)]),
      ];
      // A post not yet accepted by a run: the callback's, not deleted with the node.
      const received = [objectNames.received(uuid, 'post-1'), objectNames.logsOf(objectNames.received(uuid, 'post-1'))];
      for (const object of [...data, ...received]) await store.putJson(object, { object });
      return { uuid, data, received };
    };
    const present = async (objects: string[]) => (await Promise.all(objects.map((o) => store.getJson(o)))).map((doc) => doc !== undefined);
    const all = (objects: string[], value: boolean) => objects.map(() => value);

    test('every object and history entry of the node goes, its posts under received/ and another node stay; a refused delete deletes nothing', async () => {
      const gone = await withData('api-data-gone');
      const kept = await withData('api-data-kept');
      await registry.updateNode(gone.uuid, () => ({ provision_state: 'inspecting' }));
      const busy = await call('DELETE', '/v1/nodes/api-data-gone');
      expect(busy.status).toBe(409);
      expect(await present(gone.data)).toEqual(all(gone.data, true));
      expect(await registry.history.list(gone.uuid, { limit: 10 })).toHaveLength(2);

      await registry.updateNode(gone.uuid, () => ({ maintenance: true }));
      expect((await call('DELETE', '/v1/nodes/api-data-gone')).status).toBe(204);
      expect(await present(gone.data)).toEqual(all(gone.data, false));
      expect(await present(gone.received)).toEqual(all(gone.received, true));
      expect(await registry.history.list(gone.uuid, { limit: 10 })).toEqual([]);
      expect((await registry.introspections.list({ limit: 100 })).map((r) => r.node_uuid)).not.toContain(gone.uuid);
      expect(await present([...kept.data, ...kept.received])).toEqual(all([...kept.data, ...kept.received], true));
      expect(await registry.history.list(kept.uuid, { limit: 10 })).toHaveLength(2);
    });

    test('an S3 failure does not fail the delete: it is logged at warn with the node and the objects left, no secret', async () => {
      const node = await withData('api-data-s3-down');
      const badSecret = 'Wrong-Secret-Key-1';
      const refused = new ObjectStore({ ...s3Settings, secretAccessKey: badSecret });
      const bare = await startNodeApi(registry, { store: refused });
      const lines: string[] = [];
      setLogger(createLogger('api', 'warn', { write: (line: string) => void lines.push(line) }));
      try {
        expect((await bare.call('DELETE', `/v1/nodes/${node.uuid}`)).status).toBe(204);
      } finally {
        setLogger(createLogger('api'));
        await bare.close();
        refused.destroy();
      }
      expect((await call('GET', `/v1/nodes/${node.uuid}`)).status).toBe(404);
      expect(await present(node.data)).toEqual(all(node.data, true));
      const warnings = lines.map((line) => JSON.parse(line)).filter((entry) => entry.node === node.uuid);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ level: 40, msg: expect.stringContaining('delete these objects by hand') });
      expect([...warnings[0].objects].sort()).toEqual([...node.data].sort());
      expect(lines.join('\n')).not.toContain(badSecret);
      expect(lines.join('\n')).not.toContain(s3Settings.secretAccessKey);
    });
  });

  describe('BMC credentials', () => {
    test('a PATCH that moves the BMC keeps no password, and ****** with a new address is refused', async () => {
      const node = await enroll({ name: 'api-moved', driver: 'ipmi', driver_info: IPMI });
      const masked = await call('PATCH', '/v1/nodes/api-moved', [
        { op: 'replace', path: '/driver_info', value: { ...node.driver_info, ipmi_address: '203.0.113.66' } },
      ]);
      expect(masked.status).toBe(400);
      expect(faultOf(masked)).toMatch(/^driver_info\.ipmi_password: the BMC address changed \(driver_info\.ipmi_address\), so the password must be given again/);
      expect((await registry.getNodeOrThrow(node.uuid)).driver_info).toMatchObject({ ipmi_address: '192.0.2.50', ipmi_password: 'Very-Secret-1' });

      const moved = await call('PATCH', '/v1/nodes/api-moved', [{ op: 'replace', path: '/driver_info/ipmi_address', value: '203.0.113.66' }]);
      expect(moved.status).toBe(200);
      expect(moved.body.driver_info).toMatchObject({ ipmi_address: '203.0.113.66', ipmi_password: '' });
      expect((await registry.getNodeOrThrow(node.uuid)).driver_info.ipmi_password).toBe('');

      const given = await call('PATCH', '/v1/nodes/api-moved', [
        { op: 'replace', path: '/driver_info/ipmi_port', value: 6230 },
        { op: 'replace', path: '/driver_info/ipmi_password', value: 'For-The-New-One' },
      ]);
      expect(given.status).toBe(200);
      expect((await registry.getNodeOrThrow(node.uuid)).driver_info).toMatchObject({ ipmi_port: 6230, ipmi_password: 'For-The-New-One' });
    });

    test('a Redfish system id or address that could lead elsewhere is refused on enroll and on PATCH', async () => {
      const redfish = { redfish_address: 'https://192.0.2.60', redfish_system_id: '1', redfish_username: 'root', redfish_password: 'Very-Secret-2' };
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ redfish_system_id: '//evil.example/x' }, /^driver_info\.redfish_system_id: /],
        [{ redfish_system_id: '/redfish/v1/Systems/../../x' }, /^driver_info\.redfish_system_id: /],
        [{ redfish_address: 'https://root:pw@192.0.2.60' }, /^driver_info\.redfish_address: must not carry credentials/],
        [{ redfish_address: 'https://192.0.2.60/?x=1' }, /^driver_info\.redfish_address: must not have a query or fragment/],
      ];
      for (const [overrides, message] of cases) {
        const res = await call('POST', '/v1/nodes', { driver: 'redfish', driver_info: { ...redfish, ...overrides } });
        expect([overrides, res.status]).toEqual([overrides, 400]);
        expect(faultOf(res)).toMatch(message);
      }
      await enroll({ name: 'api-redfish', driver: 'redfish', driver_info: redfish });
      const res = await call('PATCH', '/v1/nodes/api-redfish', [{ op: 'replace', path: '/driver_info/redfish_system_id', value: '//evil.example/x' }]);
      expect(res.status).toBe(400);
      expect(faultOf(res)).toMatch(/^driver_info\.redfish_system_id: /);
    });
  });

  describe('JSON Patch limits', () => {
    test('a pointer of 40 "/" then "~" is answered at once', async () => {
      await enroll({ name: 'api-pointer', driver: 'fake' });
      const started = Date.now();
      const res = await call('PATCH', '/v1/nodes/api-pointer', [{ op: 'add', path: `${'/'.repeat(40)}~`, value: 1 }]);
      expect(res.status).toBe(400);
      expect(faultOf(res)).toMatch(/^0\.path: must be a JSON pointer like \/properties\/memory_mb/);
      expect(Date.now() - started).toBeLessThan(2000);
    });

    test('prototype keys, long pointers and long patches answer 400 naming the path or field', async () => {
      await enroll({ name: 'api-limits', driver: 'fake' });
      const cases: [unknown, RegExp][] = [
        [[{ op: 'add', path: '/extra/__proto__', value: { polluted: true } }], /^patch\[0\] add \/extra\/__proto__: "__proto__" is not allowed as a key$/],
        [[{ op: 'add', path: '/properties/a/constructor', value: 1 }], /"constructor" is not allowed as a key/],
        [[{ op: 'add', path: `/extra/${'k'.repeat(1100)}`, value: 1 }], /^0\.path: must be a JSON pointer of at most 1024 characters$/],
        [Array.from({ length: 101 }, (_, i) => ({ op: 'add', path: `/extra/k${i}`, value: i })), /^\(body\): a patch may have at most 100 operations$/],
      ];
      for (const [body, message] of cases) {
        const res = await call('PATCH', '/v1/nodes/api-limits', body);
        expect([message, res.status]).toEqual([message, 400]);
        expect(faultOf(res)).toMatch(message);
      }
      expect(({} as any).polluted).toBeUndefined();
      expect((await call('GET', '/v1/nodes/api-limits')).body.extra).toEqual({});
    });
  });

  describe('bad input', () => {
    test.each([
      [{ driver: 'fake', colour: 'red' }, 400, /Unrecognized key: "colour"/],
      [{ driver: 'fake', name: 'has spaces' }, 400, /^name: /],
      [{ driver: 'fake', name: '0b6c3a4e-6a39-4a8e-9b0e-2f9d7c1f7d11' }, 400, /^name: must not look like a UUID/],
      [{ driver: 'fake', properties: [] }, 400, /^properties: /],
      [{ driver: 'ipmi', driver_info: { ipmi_address: '10.0.0.1', ipmi_port: 70000 } }, 400, /^driver_info\.ipmi_port: /],
      [{ driver: 'ipmi', driver_info: {} }, 400, /^driver_info\.ipmi_address: /],
      [{ name: 'no-driver' }, 400, /^driver: /],
    ])('POST /v1/nodes %j answers %i', async (body, status, message) => {
      const res = await call('POST', '/v1/nodes', body);
      expect(res.status).toBe(status);
      expect(faultOf(res)).toMatch(message);
    });

    test('duplicates answer 409 naming the field', async () => {
      const node = await enroll({ name: 'api-dup', driver: 'fake' });
      const again = await call('POST', '/v1/nodes', { name: 'api-dup', driver: 'fake' });
      expect(again.status).toBe(409);
      expect(faultOf(again)).toBe('name: a node named api-dup already exists');
      expect((await call('POST', '/v1/ports', { node_uuid: node.uuid, address: '52:54:00:dd:00:01' })).status).toBe(201);
      const port = await call('POST', '/v1/ports', { node_uuid: node.uuid, address: '52:54:00:DD:00:01' });
      expect(port.status).toBe(409);
      expect(faultOf(port)).toBe('address: a port with MAC address 52:54:00:dd:00:01 already exists');
    });

    test('bodies that are not JSON or too large', async () => {
      const broken = await call('POST', '/v1/nodes', '{"driver": ');
      expect(broken.status).toBe(400);
      expect(faultOf(broken)).toMatch(/not valid JSON/);
      const huge = await call('POST', '/v1/nodes', { driver: 'fake', extra: { blob: 'x'.repeat(1100 * 1024) } });
      expect(huge.status).toBe(413);
      expect(faultOf(huge)).toMatch(/larger than the limit of 1048576 bytes/);
      const missing = await call('POST', '/v1/nodes');
      expect(missing.status).toBe(400);
    });

    test('unknown paths answer an Ironic 404', async () => {
      const res = await call('GET', '/v1/chassis');
      expect(res.status).toBe(404);
      expect(faultOf(res)).toMatch(/GET \/v1\/chassis could not be found/);
    });
  });

  describe('ports', () => {
    test('create (MAC normalized), list by node and address, show, delete', async () => {
      const node = await enroll({ name: 'api-ports', driver: 'fake' });
      const created = await call('POST', '/v1/ports', {
        node_uuid: 'api-ports',
        address: '52-54-00-AA-00-01',
        pxe_enabled: false,
        local_link_connection: { switch_id: '00:11:22:33:44:55', port_id: 'Ethernet1' },
        physical_network: 'physnet1',
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        node_uuid: node.uuid,
        address: '52:54:00:aa:00:01',
        pxe_enabled: false,
        local_link_connection: { switch_id: '00:11:22:33:44:55', port_id: 'Ethernet1' },
        physical_network: 'physnet1',
        links: [{ href: `${api.url}/v1/ports/${created.body.uuid}`, rel: 'self' }, expect.anything()],
      });
      await call('POST', '/v1/ports', { node_uuid: node.uuid, address: '52:54:00:aa:00:02' });
      const ofNode = await call('GET', `/v1/nodes/api-ports/ports`);
      expect(ofNode.body.ports.map((p: any) => Object.keys(p).sort())).toEqual([
        ['address', 'links', 'uuid'],
        ['address', 'links', 'uuid'],
      ]);
      expect((await call('GET', `/v1/nodes/${node.uuid}/ports/detail`)).body.ports[0]).toHaveProperty('pxe_enabled');
      expect((await call('GET', `/v1/ports?node=api-ports&detail=true`)).body.ports).toHaveLength(2);
      expect((await call('GET', `/v1/ports?node_uuid=${node.uuid}`)).body.ports).toHaveLength(2);
      expect((await call('GET', '/v1/ports?address=52:54:00:AA:00:02')).body.ports).toHaveLength(1);
      expect((await call('GET', `/v1/ports/${created.body.uuid}`)).body.address).toBe('52:54:00:aa:00:01');
      expect((await call('DELETE', `/v1/ports/${created.body.uuid}`)).status).toBe(204);
      expect((await call('GET', `/v1/ports/${created.body.uuid}`)).status).toBe(404);
      expect((await call('GET', '/v1/nodes/api-ports/ports')).body.ports).toHaveLength(1);
    });

    test.each([
      [{ address: '52:54:00:aa:00:09' }, /^node_uuid: /],
      [{ node_uuid: 'api-nobody', address: '52:54:00:aa:00:09' }, /^node_uuid: node api-nobody does not exist/],
      [{ node_uuid: 'x', address: '52:54:00:aa:00' }, /^address: must be a MAC address/],
      [{ node_uuid: 'x', address: '52:54:00:aa:00:09', pxe_enabled: 'yes' }, /^pxe_enabled: /],
      [{ node_uuid: 'x', address: '52:54:00:aa:00:09', vlan: 3 }, /Unrecognized key: "vlan"/],
    ])('POST /v1/ports %j answers 400 naming the field', async (body, message) => {
      const res = await call('POST', '/v1/ports', body);
      expect(res.status).toBe(400);
      expect(faultOf(res)).toMatch(message);
    });
  });

  describe('maintenance', () => {
    test('set with a reason, then unset', async () => {
      await enroll({ name: 'api-maint', driver: 'fake' });
      expect((await call('PUT', '/v1/nodes/api-maint/maintenance', { reason: 'fan broken' })).status).toBe(202);
      expect((await call('GET', '/v1/nodes/api-maint')).body).toMatchObject({ maintenance: true, maintenance_reason: 'fan broken' });
      const listed = await call('GET', '/v1/nodes?maintenance=true&fields=name');
      expect(listed.body.nodes.map((n: any) => n.name)).toContain('api-maint');
      expect((await call('DELETE', '/v1/nodes/api-maint/maintenance')).status).toBe(202);
      expect((await call('GET', '/v1/nodes/api-maint')).body).toMatchObject({ maintenance: false, maintenance_reason: null });
      expect((await call('PUT', '/v1/nodes/api-maint/maintenance')).status).toBe(202);
      expect((await call('PUT', '/v1/nodes/api-maint/maintenance', { reason: 3 })).status).toBe(400);
    });
  });

  describe('traits', () => {
    test('replace all, add one, remove one, remove all', async () => {
      await enroll({ name: 'api-traits', driver: 'fake' });
      expect((await call('PUT', '/v1/nodes/api-traits/traits', { traits: ['CUSTOM_B', 'HW_CPU_X86_VMX'] })).status).toBe(204);
      expect((await call('PUT', '/v1/nodes/api-traits/traits/CUSTOM_A')).status).toBe(204);
      expect((await call('GET', '/v1/nodes/api-traits/traits')).body).toEqual({ traits: ['CUSTOM_A', 'CUSTOM_B', 'HW_CPU_X86_VMX'] });
      expect((await call('DELETE', '/v1/nodes/api-traits/traits/CUSTOM_B')).status).toBe(204);
      expect((await call('GET', '/v1/nodes/api-traits')).body.traits).toEqual(['CUSTOM_A', 'HW_CPU_X86_VMX']);
      const missing = await call('DELETE', '/v1/nodes/api-traits/traits/CUSTOM_B');
      expect(missing.status).toBe(404);
      expect((await call('DELETE', '/v1/nodes/api-traits/traits')).status).toBe(204);
      expect((await call('GET', '/v1/nodes/api-traits/traits')).body).toEqual({ traits: [] });
    });

    test('bad traits answer 400 naming them', async () => {
      await enroll({ name: 'api-bad-traits', driver: 'fake' });
      const cases: [string, string, unknown, RegExp][] = [
        ['PUT', '/v1/nodes/api-bad-traits/traits', { traits: ['CUSTOM_OK', 'lower'] }, /^traits\.1: must be CUSTOM_/],
        ['PUT', '/v1/nodes/api-bad-traits/traits', { traits: 'CUSTOM_A' }, /^traits: /],
        ['PUT', '/v1/nodes/api-bad-traits/traits', ['CUSTOM_A'], /^\(body\): /],
        ['PUT', '/v1/nodes/api-bad-traits/traits/bad-trait', undefined, /^trait: must be CUSTOM_/],
      ];
      for (const [method, path, body, message] of cases) {
        const res = await call(method, path, body);
        expect([path, res.status]).toEqual([path, 400]);
        expect(faultOf(res)).toMatch(message);
      }
    });
  });

  describe('provision states', () => {
    const provision = (node: string, target: string) => call('PUT', `/v1/nodes/${node}/states/provision`, { target });

    test('manage verifies the BMC, provide makes it available', async () => {
      const node = await enroll({ name: 'api-fake-manage', driver: 'fake' });
      const managed = await provision('api-fake-manage', 'manage');
      expect(managed.status).toBe(202);
      expect(managed.headers.get('location')).toBe(`${api.url}/v1/nodes/${node.uuid}/states`);
      const states = await call('GET', '/v1/nodes/api-fake-manage/states');
      expect(states.body).toMatchObject({ provision_state: 'manageable', target_provision_state: null, power_state: 'power off', last_error: null });
      expect(Date.parse(states.body.provision_updated_at)).toBeGreaterThanOrEqual(Date.parse(node.created_at));
      expect((await provision('api-fake-manage', 'provide')).status).toBe(202);
      expect((await call('GET', '/v1/nodes/api-fake-manage')).body.provision_state).toBe('available');
    });

    test('illegal transitions answer 400 naming the allowed ones', async () => {
      const node = await enroll({ name: 'api-illegal', driver: 'fake' });
      const res = await provision('api-illegal', 'provide');
      expect(res.status).toBe(400);
      expect(faultOf(res)).toBe(
        `The requested action "provide" can not be performed on node "${node.uuid}" while it is in state "enroll"; allowed actions from "enroll": manage`,
      );
      const unknown = await provision('api-illegal', 'deploy');
      expect(unknown.status).toBe(400);
      expect(faultOf(unknown)).toMatch(/^target: .*"manage"\|"provide"\|"inspect"/);
      expect((await call('PUT', '/v1/nodes/api-illegal/states/provision', { target: 'manage', extra: 1 })).status).toBe(400);
      expect((await provision('api-nobody', 'manage')).status).toBe(404);
    });

    test('inspect calls startInspection and answers 202; a failed start leaves inspect failed', async () => {
      const node = await enroll({ name: 'api-inspect', driver: 'fake' });
      expect((await provision('api-inspect', 'inspect')).status).toBe(400); // enroll: manage first
      await provision('api-inspect', 'manage');
      expect((await provision('api-inspect', 'inspect')).status).toBe(202);
      expect(started).toContain(node.uuid);
      expect((await call('GET', '/v1/nodes/api-inspect/states')).body).toMatchObject({ provision_state: 'inspecting', target_provision_state: 'manageable' });
      const again = await provision('api-inspect', 'inspect');
      expect(again.status).toBe(400);
      expect(faultOf(again)).toMatch(/while it is in state "inspecting"; no action is allowed/);
      const busy = await call('DELETE', '/v1/nodes/api-inspect');
      expect(busy.status).toBe(409);
      expect(faultOf(busy)).toMatch(/while it is in provision state "inspecting"/);

      await registry.finishProvision(node.uuid, 'inspecting', { error: null });
      failInspection = Object.assign(new Error('Temporal is unreachable'), { status: 409 });
      try {
        const failed = await provision('api-inspect', 'inspect');
        expect(failed.status).toBe(409);
        expect(faultOf(failed)).toBe('Temporal is unreachable');
      } finally {
        failInspection = undefined;
      }
      expect((await call('GET', '/v1/nodes/api-inspect')).body).toMatchObject({
        provision_state: 'inspect failed',
        last_error: 'Failed to start inspection: Temporal is unreachable',
      });
      expect((await provision('api-inspect', 'inspect')).status).toBe(202);
    });

    test('inspect on an API without introspection is refused before any change', async () => {
      const bare = await startNodeApi(registry);
      try {
        await enroll({ name: 'api-no-inspect', driver: 'fake' });
        await provision('api-no-inspect', 'manage');
        const res = await bare.call('PUT', '/v1/nodes/api-no-inspect/states/provision', { target: 'inspect' });
        expect(res.status).toBe(400);
        expect(faultOf(res)).toMatch(/not available/);
        expect((await registry.getNodeOrThrow('api-no-inspect')).provision_state).toBe('manageable');
      } finally {
        await bare.close();
      }
    });
  });
});

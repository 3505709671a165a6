import { InvalidInputError } from '../../common/errors';
import { applyJsonPatch, JsonPatchSchema, type JsonPatch } from '../../nodes/json-patch';
import { patchNode } from '../../nodes/node-patch';
import type { NodeRecord } from '../../nodes/records';
import { SECRET_MASK } from '../../nodes/secrets';

describe('JSON Patch (RFC 6902: add, replace, remove)', () => {
  const doc = { a: { b: 1, list: [1, 2, 3] }, 'x/y': { '~k': true } };

  test('adds, replaces and removes members and array items', () => {
    const out = applyJsonPatch(doc, [
      { op: 'add', path: '/a/c', value: { deep: [null] } },
      { op: 'replace', path: '/a/b', value: 2 },
      { op: 'add', path: '/a/list/1', value: 9 },
      { op: 'add', path: '/a/list/-', value: 4 },
      { op: 'remove', path: '/a/list/0' },
      { op: 'remove', path: '/x~1y/~0k' },
    ]);
    expect(out).toEqual({ a: { b: 2, c: { deep: [null] }, list: [9, 2, 3, 4] }, 'x/y': {} });
    expect(doc.a.b).toBe(1); // the input is left alone
  });

  test('add on an existing member replaces it', () => {
    expect(applyJsonPatch({ a: 1 }, [{ op: 'add', path: '/a', value: 2 }])).toEqual({ a: 2 });
  });

  test.each([
    [{ op: 'replace', path: '/missing', value: 1 }, /patch\[0\] replace \/missing: there is nothing to replace/],
    [{ op: 'remove', path: '/a/nope' }, /patch\[0\] remove \/a\/nope: there is nothing to remove/],
    [{ op: 'add', path: '/nope/deeper/x', value: 1 }, /\/nope does not exist/],
    [{ op: 'add', path: '/a/b/x', value: 1 }, /\/a\/b is not an object or array/],
    [{ op: 'add', path: '/a/list/7', value: 1 }, /7 is not an index of the array/],
    [{ op: 'replace', path: '/a/list/-', value: 1 }, /- is not an index of the array/],
  ] as const)('%j fails with a message naming the path', (op, message) => {
    const run = () => applyJsonPatch(doc, [op as JsonPatch[number]]);
    expect(run).toThrow(InvalidInputError);
    expect(run).toThrow(message);
  });

  test('a "__proto__" key stays data', () => {
    const out = applyJsonPatch({ a: {} }, [{ op: 'add', path: '/a/__proto__', value: { polluted: true } }]) as any;
    expect(Object.keys(out.a)).toEqual(['__proto__']);
    expect(({} as any).polluted).toBeUndefined();
    expect(out.a.polluted).toBeUndefined();
  });

  test('the schema takes only add/replace/remove with a pointer, and add/replace need a value', () => {
    expect(JsonPatchSchema.safeParse([{ op: 'add', path: '/a', value: null }]).success).toBe(true);
    expect(JsonPatchSchema.safeParse([{ op: 'move', from: '/a', path: '/b' }]).success).toBe(false);
    expect(JsonPatchSchema.safeParse([{ op: 'add', path: '/a' }]).success).toBe(false);
    expect(JsonPatchSchema.safeParse([{ op: 'add', path: 'a', value: 1 }]).success).toBe(false);
    expect(JsonPatchSchema.safeParse([{ op: 'remove', path: '/a', extra: 1 }]).success).toBe(false);
    expect(JsonPatchSchema.safeParse([]).success).toBe(false);
    expect(JsonPatchSchema.safeParse({ op: 'add', path: '/a', value: 1 }).success).toBe(false);
  });
});

describe('an operator PATCH of a node', () => {
  const node: NodeRecord = {
    uuid: '0b6c3a4e-6a39-4a8e-9b0e-2f9d7c1f7d11',
    name: 'rack1-node1',
    driver: 'ipmi',
    driver_info: { ipmi_address: '10.0.0.5', ipmi_port: 623, ipmi_username: 'admin', ipmi_password: 's3cret' },
    properties: { memory_mb: 1024, capabilities: 'boot_mode:uefi' },
    extra: { rack: 1 },
    traits: ['CUSTOM_A'],
    resource_class: 'baremetal',
    power_state: null,
    provision_state: 'manageable',
    target_provision_state: null,
    provision_updated_at: null,
    last_error: null,
    maintenance: false,
    maintenance_reason: null,
    inspection_started_at: null,
    inspection_finished_at: null,
    created_at: '2024-01-01T00:00:00.000Z',
    updated_at: null,
  };

  test('changes only the fields it touches', () => {
    expect(
      patchNode(node, [
        { op: 'add', path: '/properties/cpus', value: 8 },
        { op: 'remove', path: '/extra/rack' },
        { op: 'replace', path: '/name', value: 'renamed' },
      ]),
    ).toEqual({ properties: { memory_mb: 1024, capabilities: 'boot_mode:uefi', cpus: 8 }, extra: {}, name: 'renamed' });
  });

  test('removing a whole field leaves its empty value', () => {
    expect(
      patchNode(node, [
        { op: 'remove', path: '/name' },
        { op: 'remove', path: '/resource_class' },
        { op: 'remove', path: '/properties' },
        { op: 'remove', path: '/maintenance' },
      ]),
    ).toEqual({ name: null, resource_class: null, properties: {}, maintenance: false });
  });

  test('****** written back keeps the stored secret; a new secret replaces it', () => {
    const kept = patchNode(node, [{ op: 'replace', path: '/driver_info', value: { ...node.driver_info, ipmi_password: SECRET_MASK, ipmi_port: 6230 } }]);
    expect(kept.driver_info).toMatchObject({ ipmi_password: 's3cret', ipmi_port: 6230 });
    const same = patchNode(node, [{ op: 'replace', path: '/driver_info/ipmi_password', value: SECRET_MASK }]);
    expect(same.driver_info?.ipmi_password).toBe('s3cret');
    const changed = patchNode(node, [{ op: 'replace', path: '/driver_info/ipmi_password', value: 'new-one' }]);
    expect(changed.driver_info?.ipmi_password).toBe('new-one');
  });

  test('driver_info is checked against the driver', () => {
    expect(() => patchNode(node, [{ op: 'add', path: '/driver_info/ipmi_port', value: 'seven' }])).toThrow(/driver_info\.ipmi_port/);
    expect(() => patchNode(node, [{ op: 'add', path: '/driver_info/bogus', value: 1 }])).toThrow(/driver_info.*bogus/);
    expect(() => patchNode(node, [{ op: 'replace', path: '/driver', value: 'redfish' }])).toThrow(/driver_info.*redfish_address/);
    expect(patchNode(node, [{ op: 'replace', path: '/driver', value: 'fake' }])).toMatchObject({ driver: 'fake', driver_info: node.driver_info });
  });

  test.each([
    ['/provision_state', /"provision_state" is read-only; use PUT \/v1\/nodes\/<node>\/states\/provision/],
    ['/traits', /"traits" is read-only; use PUT\/DELETE \/v1\/nodes\/<node>\/traits/],
    ['/uuid', /"uuid" is read-only/],
    ['/power_state', /"power_state" is read-only/],
    ['/colour', /nodes have no field "colour"/],
  ])('%s cannot be patched', (path, message) => {
    expect(() => patchNode(node, [{ op: 'replace', path, value: 'x' }])).toThrow(message);
  });

  test('wrong types and bad names name the field', () => {
    expect(() => patchNode(node, [{ op: 'replace', path: '/maintenance', value: 'yes' }])).toThrow(/^maintenance: /);
    expect(() => patchNode(node, [{ op: 'replace', path: '/properties', value: [1] }])).toThrow(/^properties: /);
    expect(() => patchNode(node, [{ op: 'replace', path: '/name', value: 'has space' }])).toThrow(/^name: /);
    expect(() => patchNode(node, [{ op: 'remove', path: '/driver' }])).toThrow(/"driver" is required/);
  });

  test('****** for a secret that was never stored is refused', () => {
    const fake = { ...node, driver: 'fake' as const, driver_info: {} };
    expect(() => patchNode(fake, [{ op: 'add', path: '/driver_info/api_token', value: SECRET_MASK }])).toThrow(/driver_info\.api_token: \*{6} stands for a stored secret/);
  });
});

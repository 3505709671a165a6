import { fieldValues, nodeView, parseField, resolvePath } from '../../activities/rules/fields';
import type { HookNode } from '../../activities/hooks/types';
import { makeCtx } from './helpers';

describe('parseField', () => {
  test('schemes: data by default, data://, node://', () => {
    expect(parseField('inventory.cpu.count')).toMatchObject({ scheme: 'data', path: 'inventory.cpu.count' });
    expect(parseField('data://inventory.cpu.count').scheme).toBe('data');
    expect(parseField('node://properties.memory_mb')).toMatchObject({
      scheme: 'node',
      segments: [
        { kind: 'key', name: 'properties' },
        { kind: 'key', name: 'memory_mb' },
      ],
    });
  });

  test('segments: index, [*], .*, quoted keys, leading $', () => {
    expect(parseField("$.a[0][*].*.'b.c'[\"d\"]").segments).toEqual([
      { kind: 'key', name: 'a' },
      { kind: 'index', index: 0 },
      { kind: 'each' },
      { kind: 'values' },
      { kind: 'key', name: 'b.c' },
      { kind: 'key', name: 'd' },
    ]);
    expect(parseField('[1].x').segments).toEqual([
      { kind: 'index', index: 1 },
      { kind: 'key', name: 'x' },
    ]);
  });

  test('bad paths throw', () => {
    expect(() => parseField('mongo://x')).toThrow(/unsupported scheme/);
    expect(() => parseField('a..b')).toThrow(/descendant/);
    expect(() => parseField('a b')).toThrow(/unexpected " "/);
    expect(() => parseField("a.'b")).toThrow(/unterminated quoted key/);
    expect(() => parseField('a[1:2]')).toThrow(/unsupported selector/);
  });
});

describe('resolvePath / fieldValues', () => {
  const ctx = makeCtx();

  test('single values', () => {
    expect(fieldValues('inventory.cpu.count', ctx)).toEqual([8]);
    expect(fieldValues('data://inventory.memory.physical_mb', ctx)).toEqual([16384]);
    expect(fieldValues('inventory.disks[1].name', ctx)).toEqual(['/dev/sdb']);
    expect(fieldValues("all_interfaces.'eth0.100'.ip", ctx)).toEqual(['172.16.0.9']);
  });

  test('[*] expands lists, keeping nulls found in the data', () => {
    expect(fieldValues('data://inventory.interfaces[*].ipv4_address', ctx)).toEqual(['192.168.10.21', '10.20.0.5', null]);
    expect(fieldValues('inventory.disks[*].rotational', ctx)).toEqual([false, true]);
    expect(fieldValues('all_interfaces.*.ip', ctx)).toEqual(['192.168.10.21', '172.16.0.9']);
  });

  test('missing paths select nothing', () => {
    expect(fieldValues('inventory.gpu.count', ctx)).toEqual([]);
    expect(fieldValues('inventory.disks[5].name', ctx)).toEqual([]);
    expect(fieldValues('inventory.cpu.count.x', ctx)).toEqual([]);
    expect(fieldValues('inventory.cpu[0]', ctx)).toEqual([]);
  });

  test('[*] of a single value selects it (as jsonpath_rw)', () => {
    expect(resolvePath({ a: { b: 1 } }, parseField('a[*].b').segments)).toEqual([1]);
    expect(resolvePath({ a: null }, parseField('a[*]').segments)).toEqual([]);
  });
});

describe('node view', () => {
  test('node merged with the pending patch', () => {
    const ctx = makeCtx({
      node: {
        properties: { memory_mb: 2048, cpus: 4 },
        extra: { a: 1 },
        traits: ['CUSTOM_OLD', 'CUSTOM_KEEP'],
        ports: [{ address: '52:54:00:00:00:01', pxe_enabled: true }, { address: '52:54:00:00:00:02', pxe_enabled: false }],
      },
      patch: {
        properties: { memory_mb: 16384 },
        extra: { b: 2 },
        addTraits: ['CUSTOM_NEW'],
        removeTraits: ['CUSTOM_OLD'],
        ports: [{ address: '52:54:00:00:00:03', pxe_enabled: false }],
        removePorts: ['52:54:00:00:00:02'],
      },
    });
    const view = nodeView(ctx);
    expect(view.properties).toEqual({ memory_mb: 16384, cpus: 4 });
    expect(view.extra).toEqual({ a: 1, b: 2 });
    expect(view.traits).toEqual(['CUSTOM_KEEP', 'CUSTOM_NEW']);
    expect(view.ports.map((p) => p.address)).toEqual(['52:54:00:00:00:01', '52:54:00:00:00:03']);
    expect(fieldValues('node://properties.memory_mb', ctx)).toEqual([16384]);
    expect(fieldValues('node://traits[*]', ctx)).toEqual(['CUSTOM_KEEP', 'CUSTOM_NEW']);
    expect(fieldValues('node://uuid', ctx)).toEqual([ctx.node.uuid]);
    // the node record itself is untouched
    expect(ctx.node.properties).toEqual({ memory_mb: 2048, cpus: 4 });
  });
});

describe('hostile paths and data', () => {
  test('forbidden keys are refused in the field text, also when evaluated directly', () => {
    expect(() => parseField('inventory.__proto__.x')).toThrow('"__proto__" is not allowed as a key (field "inventory.__proto__.x")');
    expect(() => fieldValues("a['constructor']", makeCtx())).toThrow(/"constructor" is not allowed as a key/);
  });

  test('reads are own properties only: inherited names select nothing, a data key "__proto__" is plain data', () => {
    const key = (name: string) => ({ kind: 'key' as const, name });
    expect(resolvePath({}, [key('constructor')])).toEqual([]);
    expect(resolvePath({ a: {} }, [key('a'), key('toString')])).toEqual([]);
    const data = JSON.parse('{"a": {"__proto__": {"x": 1}}}') as unknown;
    expect(resolvePath(data, [key('a'), key('__proto__'), key('x')])).toEqual([1]);
    expect(resolvePath(data, parseField('a.*.x').segments)).toEqual([1]);
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  test('[*] and .* expand very large lists and objects', () => {
    const list = Array.from({ length: 300000 }, (_, i) => i);
    const ctx = makeCtx({ data: { list, obj: Object.fromEntries(list.map((i) => [`k${i}`, i])) } });
    expect(fieldValues('list[*]', ctx)).toHaveLength(300000);
    expect(fieldValues('obj.*', ctx)).toHaveLength(300000);
  });

  test('node secrets are refused by name, even though the node view never holds them', () => {
    expect(() => parseField('node://driver_info.ipmi_password')).toThrow(
      'field "node://driver_info.ipmi_password": node driver_info may hold credentials and cannot be read by rules',
    );
    expect(() => parseField('node://*')).toThrow(/must start with the name of a node field/);
    expect(parseField('data://driver_info').segments).toEqual([{ kind: 'key', name: 'driver_info' }]); // the agent's data is not secret
    const record = { properties: {}, driver_info: { ipmi_password: 'secret' } } as Partial<HookNode>;
    const view = nodeView(makeCtx({ node: record }));
    expect(Object.keys(view).sort()).toEqual(['extra', 'name', 'ports', 'properties', 'traits', 'uuid']);
    expect(JSON.stringify(view)).not.toContain('secret');
  });
});

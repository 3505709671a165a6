import { parseCapabilities } from '../../activities/hooks/capabilities-string';
import {
  addTrait,
  extendAttribute,
  fail,
  maskRuleSecrets,
  removeTrait,
  RuleFailError,
  runAction,
  setAttribute,
  setCapability,
} from '../../activities/rules/actions';
import { formatString, formatValue, MAX_FORMATTED_LENGTH } from '../../activities/rules/format';
import { HookError } from '../../activities/hooks/types';
import { makeCtx } from './helpers';

describe('set-attribute', () => {
  test('top-level property and extra keys', () => {
    const ctx = makeCtx({ node: { properties: { cpus: 2, local_gb: 10 } } });
    setAttribute(ctx, { path: '/properties/cpus', value: 8 });
    setAttribute(ctx, { path: '/extra/rack', value: 'r1' });
    setAttribute(ctx, { path: '/extra/cleared', value: null });
    expect(ctx.patch.properties).toEqual({ cpus: 8 });
    expect(ctx.patch.extra).toEqual({ rack: 'r1', cleared: null });
    expect(ctx.node.properties).toEqual({ cpus: 2, local_gb: 10 });
  });

  test('nested paths keep sibling keys from the node and from the patch', () => {
    const ctx = makeCtx({ node: { extra: { foo: { keep: 1, bar: 'old' } } } });
    setAttribute(ctx, { path: '/extra/foo/bar', value: 'new' });
    setAttribute(ctx, { path: '/extra/foo/baz/deep', value: true });
    expect(ctx.patch.extra['foo']).toEqual({ keep: 1, bar: 'new', baz: { deep: true } });
    expect(ctx.node.extra['foo']).toEqual({ keep: 1, bar: 'old' }); // not mutated
    setAttribute(ctx, { path: '/extra/new/x', value: 1 });
    expect(ctx.patch.extra['new']).toEqual({ x: 1 });
  });

  test('JSON-pointer escapes and list add semantics', () => {
    const ctx = makeCtx({ node: { extra: { list: ['a', 'c'] } } });
    setAttribute(ctx, { path: '/extra/a~1b~0c', value: 1 });
    expect(ctx.patch.extra['a/b~c']).toBe(1);
    setAttribute(ctx, { path: '/extra/list/1', value: 'b' });
    setAttribute(ctx, { path: '/extra/list/-', value: 'd' });
    expect(ctx.patch.extra['list']).toEqual(['a', 'b', 'c', 'd']);
    expect(() => setAttribute(ctx, { path: '/extra/list/9', value: 'x' })).toThrow(/bad list index/);
  });

  test('disallowed paths and writing through scalars throw', () => {
    const ctx = makeCtx({ node: { properties: { cpus: 2 } } });
    expect(() => setAttribute(ctx, { path: '/driver_info/ipmi_address', value: '192.0.2.1' })).toThrow(/not allowed/);
    expect(() => setAttribute(ctx, { path: '/driver_info/ipmi/x', value: 'x' })).toThrow(/no nested values/);
    expect(() => setAttribute(ctx, { path: '/name', value: 'x' })).toThrow(/not allowed/);
    expect(() => setAttribute(ctx, { path: '/properties/cpus/x', value: 1 })).toThrow(/is a number/);
  });
});

describe('driver_info (how discovered nodes get BMC credentials)', () => {
  test('set-attribute sets a key, never read back into the node view; extend-attribute cannot touch it', () => {
    const ctx = makeCtx();
    setAttribute(ctx, { path: '/driver_info/ipmi_username', value: 'admin' });
    setAttribute(ctx, { path: '/driver_info/ipmi_password', value: 'discovery-secret' });
    expect(ctx.patch.driverInfo).toEqual({ ipmi_username: 'admin', ipmi_password: 'discovery-secret' });
    expect(() => extendAttribute(ctx, { path: '/driver_info/ipmi_username', value: 'x' })).toThrow(/cannot be read by rules/);
    for (const where of ['/driver_info/redfish_address', '/driver_info/ipmi_port', '/driver_info/redfish_system_id']) {
      expect(() => setAttribute(ctx, { path: where, value: 'x' })).toThrow(/comes from the BMC itself or an operator/);
    }
  });

  test('the API shows the secrets rules set as ******', () => {
    const body = {
      uuid: 'u',
      conditions: [],
      actions: [
        { action: 'set-attribute', path: '/driver_info/ipmi_username', value: 'admin' },
        { action: 'set-attribute', path: '/driver_info/ipmi_password', value: 'discovery-secret' },
        { action: 'set-attribute', path: '/extra/password_hint', value: 'not a driver_info secret' },
      ],
    };
    expect(maskRuleSecrets(body).actions).toEqual([
      { action: 'set-attribute', path: '/driver_info/ipmi_username', value: 'admin' },
      { action: 'set-attribute', path: '/driver_info/ipmi_password', value: '******' },
      { action: 'set-attribute', path: '/extra/password_hint', value: 'not a driver_info secret' },
    ]);
    expect(body.actions[1].value).toBe('discovery-secret');
  });
});

describe('extend-attribute', () => {
  test('creates the list, appends, unique skips duplicates', () => {
    const ctx = makeCtx({ node: { extra: { tags: ['a'] } } });
    extendAttribute(ctx, { path: '/extra/tags', value: 'b' });
    extendAttribute(ctx, { path: '/extra/tags', value: 'b' });
    expect(ctx.patch.extra['tags']).toEqual(['a', 'b', 'b']);
    extendAttribute(ctx, { path: '/extra/tags', value: 'a', unique: true });
    extendAttribute(ctx, { path: '/extra/tags', value: 'c', unique: true });
    expect(ctx.patch.extra['tags']).toEqual(['a', 'b', 'b', 'c']);
    extendAttribute(ctx, { path: '/properties/new/list', value: { x: 1 } });
    extendAttribute(ctx, { path: '/properties/new/list', value: { x: 1 }, unique: true });
    expect(ctx.patch.properties['new']).toEqual({ list: [{ x: 1 }] });
    expect(ctx.node.extra['tags']).toEqual(['a']);
  });

  test('a non-list attribute throws', () => {
    const ctx = makeCtx({ node: { extra: { tags: 'a' } } });
    expect(() => extendAttribute(ctx, { path: '/extra/tags', value: 'b' })).toThrow(/not a list/);
  });
});

describe('traits', () => {
  test('add-trait and remove-trait', () => {
    const ctx = makeCtx({ node: { traits: ['CUSTOM_OLD'] } });
    addTrait(ctx, { name: 'CUSTOM_BIG_MEMORY' });
    addTrait(ctx, { name: 'CUSTOM_BIG_MEMORY' });
    removeTrait(ctx, { name: 'CUSTOM_OLD' });
    removeTrait(ctx, { name: 'CUSTOM_NEVER_SET' }); // nothing to remove
    expect(ctx.patch.addTraits).toEqual(['CUSTOM_BIG_MEMORY']);
    expect(ctx.patch.removeTraits).toEqual(['CUSTOM_OLD']);
    // later actions win
    addTrait(ctx, { name: 'CUSTOM_OLD' });
    removeTrait(ctx, { name: 'CUSTOM_BIG_MEMORY' });
    expect(ctx.patch.addTraits).toEqual(['CUSTOM_OLD']);
    expect(ctx.patch.removeTraits).toEqual([]);
  });

  test('trait names are checked', () => {
    const ctx = makeCtx();
    expect(() => addTrait(ctx, { name: 'custom_x' })).toThrow(/invalid trait name/);
    expect(() => addTrait(ctx, { name: 'HW_CPU_X86_AVX2' })).not.toThrow();
  });
});

describe('set-capability', () => {
  test('merges into the capabilities string, keeping other keys', () => {
    const ctx = makeCtx({ node: { properties: { capabilities: 'boot_mode:bios,cpu_vt:true' } } });
    setCapability(ctx, { name: 'boot_mode', value: 'uefi' });
    expect(ctx.patch.properties['capabilities']).toBe('boot_mode:uefi,cpu_vt:true');
    setCapability(ctx, { name: 'disk_label', value: 'gpt' });
    setCapability(ctx, { name: 'cores', value: 8 });
    expect(ctx.patch.properties['capabilities']).toBe('boot_mode:uefi,cpu_vt:true,disk_label:gpt,cores:8');
    setCapability(ctx, { name: 'cpu_vt' });
    expect(ctx.patch.properties['capabilities']).toBe('boot_mode:uefi,disk_label:gpt,cores:8');
  });

  test('starts from nothing, from an object, and keeps odd entries', () => {
    const ctx = makeCtx();
    setCapability(ctx, { name: 'boot_mode', value: 'uefi' });
    expect(ctx.patch.properties['capabilities']).toBe('boot_mode:uefi');
    const obj = makeCtx({ node: { properties: { capabilities: { a: 'x', b: true } } } });
    setCapability(obj, { name: 'c', value: 'y' });
    expect(obj.patch.properties['capabilities']).toBe('a:x,b:true,c:y');
    expect([...parseCapabilities('a:1,,bare,k:v:w')]).toEqual([
      ['a', '1'],
      ['bare', null],
      ['k', 'v:w'],
    ]);
  });
});

describe('fail', () => {
  test('throws a HookError with the message', () => {
    const ctx = makeCtx();
    expect(() => fail(ctx, { message: 'node is too small' })).toThrow(HookError);
    expect(() => fail(ctx, { message: 'node is too small' })).toThrow(new RuleFailError('node is too small'));
  });
});

describe('formatting', () => {
  const vars = { data: makeCtx().data, node: { properties: { memory_mb: 4096 } } };

  test('{data[...]} and {node[...]} substitutions', () => {
    expect(formatString('{data[inventory][cpu][count]}', vars)).toBe('8');
    expect(formatString('cpus={data[inventory][cpu][count]} mem={node[properties][memory_mb]}', vars)).toBe('cpus=8 mem=4096');
    expect(formatString('{data[inventory][interfaces][1][mac_address]}', vars)).toBe('52:54:00:12:34:02');
    expect(formatString('{data.inventory.cpu.architecture}', vars)).toBe('x86_64');
    expect(formatString('{data[inventory][cpu][flags]}', vars)).toBe('["vmx","avx2","sse4_2"]');
    expect(formatString('{{literal}} and no fields', vars)).toBe('{literal} and no fields');
    expect(formatString('plain', vars)).toBe('plain');
  });

  test('recursive through lists and objects, keys too; other values untouched', () => {
    expect(formatValue({ '{data[inventory][cpu][architecture]}': ['{data[inventory][cpu][count]}', 3, null] }, vars)).toEqual({
      x86_64: ['8', 3, null],
    });
    expect(formatValue(42, vars)).toBe(42);
  });

  test('bad fields throw', () => {
    expect(() => formatString('{data[inventory][gpu]}', vars)).toThrow(/invalid formatting variable key: "gpu"/);
    expect(() => formatString('{foo}', vars)).toThrow(/invalid formatting variable key "foo"/);
    expect(() => formatString('{data[inventory]!r}', vars)).toThrow(/not supported/);
    expect(() => formatString('{data[inventory]:>8}', vars)).toThrow(/not supported/);
    expect(() => formatString('a } b', vars)).toThrow(/single "}"/);
    expect(() => formatString('a { b', vars)).toThrow(/invalid formatting field|single "\{"/);
  });

  test('runAction formats value of set-attribute / extend-attribute / set-capability', () => {
    const ctx = makeCtx();
    const v = { data: ctx.data, node: {} };
    runAction(ctx, { action: 'set-attribute', path: '/properties/cpu_arch', value: '{data[inventory][cpu][architecture]}' }, v);
    runAction(ctx, { action: 'extend-attribute', path: '/extra/macs', value: '{data[boot_interface]}', unique: false }, v);
    runAction(ctx, { action: 'set-capability', name: 'vendor', value: '{data[inventory][system_vendor][manufacturer]}' }, v);
    expect(ctx.patch.properties).toEqual({ cpu_arch: 'x86_64', capabilities: 'vendor:Dell Inc.' });
    expect(ctx.patch.extra).toEqual({ macs: ['52:54:00:12:34:01'] });
  });
});

describe('hostile keys and data', () => {
  const polluted = () => ({} as Record<string, unknown>)['polluted'];

  test('attribute paths with forbidden keys throw, also when run directly', () => {
    const ctx = makeCtx();
    expect(() => setAttribute(ctx, { path: '/extra/__proto__/polluted', value: 1 })).toThrow(/"__proto__" is not allowed as a key/);
    expect(() => extendAttribute(ctx, { path: '/properties/constructor', value: 1 })).toThrow(/"constructor" is not allowed as a key/);
    expect(polluted()).toBeUndefined();
    expect(ctx.patch.extra).toEqual({});
  });

  test('existing values are read as own properties only', () => {
    const ctx = makeCtx();
    setAttribute(ctx, { path: '/extra/hasOwnProperty/x', value: 1 }); // not the inherited function
    extendAttribute(ctx, { path: '/properties/toString', value: 'a' });
    expect(Object.entries(ctx.patch.extra)).toEqual([['hasOwnProperty', { x: 1 }]]);
    expect(Object.entries(ctx.patch.properties)).toEqual([['toString', ['a']]]);
  });

  test('a "__proto__" key in node data stays plain data when written around', () => {
    const ctx = makeCtx({ node: { extra: JSON.parse('{"t": {"__proto__": {"polluted": 1}}}') as Record<string, unknown> } });
    setAttribute(ctx, { path: '/extra/t/y', value: 2 });
    const t = ctx.patch.extra['t'] as Record<string, unknown>;
    expect(Object.keys(t)).toEqual(['__proto__', 'y']);
    expect(t['polluted']).toBeUndefined(); // the key did not become t's prototype
    expect(polluted()).toBeUndefined();
  });

  test('formatting: a key filled from the data cannot be a forbidden one; lookups are own properties only', () => {
    const vars = { data: { k: '__proto__', list: [1, 2] } };
    expect(() => formatValue({ '{data[k]}': { polluted: 1 } }, vars)).toThrow('"__proto__" is not allowed as a key (formatted key "{data[k]}")');
    expect(polluted()).toBeUndefined();
    expect(() => formatString('{data[toString]}', vars)).toThrow(/"toString" not found/);
    expect(() => formatString('{data[list][length]}', vars)).toThrow(/"length" not found/);
    expect(formatString('{data[list][1]}', vars)).toBe('2');
    expect(() => formatString('{data[__proto__]}', vars)).toThrow(/"__proto__" is not allowed as a key/);
    expect(() => formatString('{node[driver_info][ipmi_password]}', { node: { driver_info: { ipmi_password: 'x' } } })).toThrow(
      /node driver_info may hold credentials/,
    );
  });

  test('formatting output is bounded, for a string and for a whole value', () => {
    const vars = { data: { s: 'x'.repeat(4000) } };
    expect(formatString(`${'{data[s]}'.repeat(16)}`, vars)).toHaveLength(64000);
    expect(() => formatString(`${'{data[s]}'.repeat(17)}`, vars)).toThrow(`formatted value is longer than ${MAX_FORMATTED_LENGTH} characters`);
    expect(formatValue(Array(16).fill('{data[s]}'), vars)).toHaveLength(16);
    expect(() => formatValue({ a: Array(10).fill('{data[s]}'), b: Array(7).fill('{data[s]}') }, vars)).toThrow(/longer than 65536/);
  });
});

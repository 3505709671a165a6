import { applyRules, checkCondition } from '../../activities/rules/apply';
import { parseRule, type Condition, type RuleInput } from '../../activities/rules/schema';
import { HookError } from '../../activities/hooks/types';
import { makeCtx } from './helpers';

const TRAIT = { action: 'add-trait', name: 'CUSTOM_HIT' } as const;

function cond(c: Record<string, unknown>): Condition {
  return parseRule({ conditions: [c], actions: [TRAIT] }).conditions[0]!;
}

function holds(c: Record<string, unknown>, ctx = makeCtx()): boolean {
  return checkCondition(cond(c), ctx);
}

describe('the product rule', () => {
  const body: RuleInput = {
    conditions: [{ op: 'ge', field: 'node://properties.memory_mb', value: 4096 }],
    actions: [{ action: 'add-trait', name: 'CUSTOM_BIG_MEMORY' }],
  };

  test('adds the trait when patch.properties.memory_mb is 16384', () => {
    const ctx = makeCtx({ patch: { properties: { memory_mb: 16384 } } });
    const { matched } = applyRules([parseRule(body)], ctx);
    expect(ctx.patch.addTraits).toEqual(['CUSTOM_BIG_MEMORY']);
    expect(matched).toHaveLength(1);
  });

  test('does not when it is 2048', () => {
    const ctx = makeCtx({ patch: { properties: { memory_mb: 2048 } } });
    const { matched } = applyRules([parseRule(body)], ctx);
    expect(ctx.patch.addTraits).toEqual([]);
    expect(matched).toEqual([]);
  });

  test('ge includes the boundary: exactly 4096 matches, 4095 does not', () => {
    const at = makeCtx({ patch: { properties: { memory_mb: 4096 } } });
    expect(applyRules([parseRule(body)], at).matched).toHaveLength(1);
    const below = makeCtx({ patch: { properties: { memory_mb: 4095 } } });
    expect(applyRules([parseRule(body)], below).matched).toEqual([]);
  });

  test('the patch wins over the node record; a missing property does not match', () => {
    const big = makeCtx({ node: { properties: { memory_mb: 1024 } }, patch: { properties: { memory_mb: 16384 } } });
    applyRules([parseRule(body)], big);
    expect(big.patch.addTraits).toEqual(['CUSTOM_BIG_MEMORY']);
    const none = makeCtx();
    applyRules([parseRule(body)], none);
    expect(none.patch.addTraits).toEqual([]);
  });
});

describe('conditions on the fixture data', () => {
  test.each<[Record<string, unknown>, boolean]>([
    [{ op: 'eq', field: 'inventory.cpu.architecture', value: 'x86_64' }, true],
    [{ op: 'eq', field: 'inventory.cpu.count', value: 8 }, true],
    [{ op: 'eq', field: 'inventory.cpu.frequency', value: 2100 }, true], // "2100" coerced
    [{ op: 'ne', field: 'inventory.cpu.count', value: 8 }, false],
    [{ op: 'lt', field: 'inventory.cpu.count', value: 8 }, false],
    [{ op: 'le', field: 'inventory.cpu.count', value: 8 }, true],
    [{ op: 'gt', field: 'inventory.memory.physical_mb', value: 8192 }, true],
    [{ op: 'ge', field: 'inventory.memory.physical_mb', value: 32768 }, false],
    [{ op: 'in-net', field: 'inventory.bmc_address', value: '10.0.0.0/24' }, true],
    [{ op: 'in-net', field: 'inventory.bmc_address', value: '10.0.1.0/24' }, false],
    [{ op: 'matches', field: 'inventory.system_vendor.manufacturer', value: 'Dell.*' }, true],
    [{ op: 'matches', field: 'inventory.system_vendor.manufacturer', value: 'Dell' }, false],
    [{ op: 'contains', field: 'inventory.system_vendor.product_name', value: 'R6\\d0' }, true],
    [{ op: 'is-empty', field: 'empty_string' }, true],
    [{ op: 'is-empty', field: 'empty_list' }, true],
    [{ op: 'is-empty', field: 'empty_object' }, true],
    [{ op: 'is-empty', field: 'inventory.cpu' }, false],
    [{ op: 'is-empty', field: 'no.such.field' }, true], // missing → checked as null
  ])('%j → %s', (c, expected) => {
    expect(holds(c)).toBe(expected);
  });

  test('a missing field makes other ops false, even inverted', () => {
    expect(holds({ op: 'eq', field: 'inventory.gpu', value: 1 })).toBe(false);
    expect(holds({ op: 'eq', field: 'inventory.gpu', value: 1, invert: true })).toBe(false);
    expect(holds({ op: 'is-empty', field: 'inventory.gpu', invert: true })).toBe(false);
  });

  test('invert negates', () => {
    expect(holds({ op: 'eq', field: 'inventory.cpu.count', value: 8, invert: true })).toBe(false);
    expect(holds({ op: 'eq', field: 'inventory.cpu.count', value: 4, invert: true })).toBe(true);
    expect(holds({ op: 'is-empty', field: 'inventory.cpu', invert: true })).toBe(true);
  });
});

describe('multiple values: [*] with any / all / first', () => {
  // interface ipv4 addresses: 192.168.10.21, 10.20.0.5, null
  const ips = 'data://inventory.interfaces[*].ipv4_address';

  test('any (default): one value is enough', () => {
    expect(holds({ op: 'in-net', field: ips, value: '10.0.0.0/8' })).toBe(true);
    expect(holds({ op: 'in-net', field: ips, value: '10.0.0.0/8', multiple: 'any' })).toBe(true);
    expect(holds({ op: 'in-net', field: ips, value: '172.16.0.0/12' })).toBe(false);
  });

  test('all: every value must hold', () => {
    expect(holds({ op: 'in-net', field: ips, value: '0.0.0.0/0', multiple: 'all' })).toBe(false); // the null one
    expect(holds({ op: 'contains', field: 'inventory.interfaces[*].name', value: '^eth', multiple: 'all' })).toBe(true);
    expect(holds({ op: 'contains', field: 'inventory.interfaces[*].name', value: '^eth[01]', multiple: 'all' })).toBe(false);
  });

  test('first: only the first value counts', () => {
    expect(holds({ op: 'in-net', field: ips, value: '192.168.0.0/16', multiple: 'first' })).toBe(true);
    expect(holds({ op: 'in-net', field: ips, value: '10.0.0.0/8', multiple: 'first' })).toBe(false);
  });

  test('invert applies to each value before combining', () => {
    // any value NOT in 10/8 → true (192.168.10.21)
    expect(holds({ op: 'in-net', field: ips, value: '10.0.0.0/8', invert: true })).toBe(true);
    // all values NOT in 172.16/12 → true
    expect(holds({ op: 'in-net', field: ips, value: '172.16.0.0/12', invert: true, multiple: 'all' })).toBe(true);
    // all values NOT in 10/8 → false (10.20.0.5)
    expect(holds({ op: 'in-net', field: ips, value: '10.0.0.0/8', invert: true, multiple: 'all' })).toBe(false);
    expect(holds({ op: 'in-net', field: ips, value: '192.168.0.0/16', invert: true, multiple: 'first' })).toBe(false);
  });

  test('IPv6 addresses, with zone ids', () => {
    const v6 = 'inventory.interfaces[*].ipv6_address';
    expect(holds({ op: 'in-net', field: v6, value: 'fd00:10::/32' })).toBe(true);
    expect(holds({ op: 'in-net', field: v6, value: 'fe80::/10' })).toBe(true);
    expect(holds({ op: 'in-net', field: v6, value: '2001:db8::/32' })).toBe(false);
  });

  test('lists of scalars and object values', () => {
    expect(holds({ op: 'eq', field: 'inventory.cpu.flags[*]', value: 'avx2' })).toBe(true);
    expect(holds({ op: 'eq', field: 'inventory.disks[*].rotational', value: true, multiple: 'all' })).toBe(false);
    expect(holds({ op: 'gt', field: 'inventory.disks[*].size', value: 1e11, multiple: 'all' })).toBe(true);
    expect(holds({ op: 'in-net', field: 'all_interfaces.*.ip', value: '172.16.0.0/12' })).toBe(true);
  });
});

describe('applyRules', () => {
  test('all conditions of a rule must hold; matching rules run in order', () => {
    const rules = [
      parseRule({
        uuid: '11111111-1111-1111-1111-111111111111',
        conditions: [
          { op: 'eq', field: 'inventory.cpu.architecture', value: 'x86_64' },
          { op: 'ge', field: 'inventory.cpu.count', value: 16 },
        ],
        actions: [{ action: 'add-trait', name: 'CUSTOM_MANY_CPUS' }],
      }),
      parseRule({
        uuid: '22222222-2222-2222-2222-222222222222',
        conditions: [
          { op: 'eq', field: 'inventory.cpu.architecture', value: 'x86_64' },
          { op: 'ge', field: 'inventory.cpu.count', value: 4 },
        ],
        actions: [
          { action: 'set-attribute', path: '/properties/cpu_class', value: 'medium' },
          { action: 'set-capability', name: 'boot_mode', value: '{data[inventory][boot][current_boot_mode]}' },
        ],
      }),
      parseRule({
        description: 'always',
        actions: [{ action: 'set-attribute', path: '/properties/cpu_class', value: 'overridden' }],
      }),
    ];
    const ctx = makeCtx();
    const { matched } = applyRules(rules, ctx);
    expect(matched).toEqual(['22222222-2222-2222-2222-222222222222', 'always']);
    expect(ctx.patch.addTraits).toEqual([]);
    expect(ctx.patch.properties).toEqual({ cpu_class: 'overridden', capabilities: 'boot_mode:uefi' });
  });

  test('conditions are all checked before any action runs (as ironic-inspector)', () => {
    const rules = [
      parseRule({ actions: [{ action: 'set-attribute', path: '/properties/flag', value: 'on' }] }),
      parseRule({
        conditions: [{ op: 'eq', field: 'node://properties.flag', value: 'on' }],
        actions: [TRAIT],
      }),
    ];
    const ctx = makeCtx();
    expect(applyRules(rules, ctx).matched).toEqual(['#0']);
    expect(ctx.patch.addTraits).toEqual([]);
  });

  test('scope: only nodes whose properties.inspection_scope equals it', () => {
    const rule = parseRule({ scope: 'rack-a', actions: [TRAIT] });
    const other = makeCtx({ node: { properties: { inspection_scope: 'rack-b' } } });
    expect(applyRules([rule], other).matched).toEqual([]);
    const none = makeCtx();
    expect(applyRules([rule], none).matched).toEqual([]);
    const same = makeCtx({ node: { properties: { inspection_scope: 'rack-a' } } });
    expect(applyRules([rule], same).matched).toEqual(['#0']);
    expect(same.patch.addTraits).toEqual(['CUSTOM_HIT']);
  });

  test('fail ends with exactly the rule message', () => {
    const rule = parseRule({
      conditions: [{ op: 'lt', field: 'inventory.memory.physical_mb', value: 32768 }],
      actions: [{ action: 'fail', message: 'not enough memory' }],
    });
    expect(() => applyRules([rule], makeCtx())).toThrow(new HookError('not enough memory'));
  });

  test('an exception in a condition names the rule', () => {
    const rule = parseRule({
      uuid: '33333333-3333-3333-3333-333333333333',
      description: 'needs numbers',
      conditions: [{ op: 'gt', field: 'inventory.cpu.model_name', value: 4 }],
      actions: [TRAIT],
    });
    let error: unknown;
    try {
      applyRules([rule], makeCtx());
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(HookError);
    expect((error as Error).message).toMatch(
      /^rule 33333333-3333-3333-3333-333333333333 \("needs numbers"\): condition 0 \(gt on inventory\.cpu\.model_name\) failed: cannot compare string/,
    );
  });

  test('an exception in an action names the rule and action', () => {
    const rule = parseRule({
      description: 'bad format',
      actions: [{ action: 'set-attribute', path: '/extra/x', value: '{data[nope]}' }],
    });
    expect(() => applyRules([rule], makeCtx())).toThrow(/^rule "bad format": action 0 \(set-attribute\) failed: invalid formatting/);
  });

  test('no rules, nothing changes', () => {
    const ctx = makeCtx();
    expect(applyRules([], ctx)).toEqual({ matched: [] });
    expect(ctx.patch).toEqual(makeCtx().patch);
  });
});

describe('hostile data', () => {
  test('catastrophic-backtracking patterns evaluate quickly and correctly', () => {
    const ctx = makeCtx({ data: { vendor: `${'a'.repeat(40)}!` } });
    expect(holds({ op: 'matches', field: 'vendor', value: '(a+)+$' }, ctx)).toBe(false);
    expect(holds({ op: 'contains', field: 'vendor', value: '(a+)+$' }, ctx)).toBe(false);
    expect(holds({ op: 'contains', field: 'vendor', value: '(a|aa)+!' }, ctx)).toBe(true);
    expect(holds({ op: 'matches', field: 'vendor', value: '(a*)*!' }, ctx)).toBe(true);
  });

  test('text longer than a regex may run over fails the rule, naming it', () => {
    const rule = parseRule({ conditions: [{ op: 'contains', field: 'blob', value: 'x' }], actions: [TRAIT] });
    expect(() => applyRules([rule], makeCtx({ data: { blob: 'a'.repeat(70000) } }))).toThrow(
      /^rule #0: condition 0 \(contains on blob\) failed: text is 70000 characters, more than the 65536/,
    );
  });
});

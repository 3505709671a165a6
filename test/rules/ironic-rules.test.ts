import { HookError } from '../../activities/hooks/types';
import { RuleFailError } from '../../activities/rules/actions';
import { applyAllRules, applyInspectionRule, checkInspectionCondition } from '../../activities/rules/ironic-apply';
import { parseInspectionRule } from '../../activities/rules/ironic-schema';
import { parseRule } from '../../activities/rules/schema';
import { makeCtx } from './helpers';

// Ironic's inspection rules (API 1.96) on the processing context: validation when stored,
// conditions (formatting, inversion, loop and multiple), actions, and the order beside
// ironic-inspector's rules. The fixture: 8 CPUs, 16384 MiB, a Dell, BMC 10.0.0.11, three NICs.

const TRAIT = { op: 'add-trait', args: { name: 'CUSTOM_HIT' } };
const UUID = '6f1a6c2e-2f38-4a44-9c61-7f5a0f0e0a01';

function rule(body: Record<string, unknown>) {
  return { ...parseInspectionRule({ actions: [TRAIT], ...body }), uuid: UUID };
}

function holds(condition: Record<string, unknown>): boolean {
  return checkInspectionCondition(rule({ conditions: [condition] }).conditions[0]!, makeCtx());
}

describe('validation', () => {
  test('defaults: priority 0, not sensitive, phase main, no conditions', () => {
    expect(parseInspectionRule({ actions: [TRAIT] })).toEqual({ priority: 0, sensitive: false, phase: 'main', conditions: [], actions: [TRAIT] });
  });

  test('list args are read positionally and stored by name', () => {
    const parsed = parseInspectionRule({ conditions: [{ op: 'matches', args: ['{inventory[system_vendor][manufacturer]}', '^Dell'] }], actions: [TRAIT] });
    expect(parsed.conditions[0]!.args).toEqual({ value: '{inventory[system_vendor][manufacturer]}', regex: '^Dell' });
  });

  test.each([
    [{ conditions: [{ op: 'eqq', args: { values: [1, 1] } }] }, /unsupported condition operator "eqq"/],
    [{ conditions: [{ op: 'eq', args: { value: 1 } }] }, /missing required argument\(s\): values; unexpected argument\(s\): value/],
    // As Ironic reads a list: values, then force_strings.
    [{ conditions: [{ op: 'gt', args: ['{inventory[memory][physical_mb]}', 4096] }] }, /values must be a list/],
    [{ conditions: [{ op: 'matches', args: { value: 'x', regex: '(a)\\1' } }] }, /pattern not supported/],
    [{ conditions: [{ op: 'in-net', args: { address: '{inventory[bmc_address]}', subnet: '10.0.0.0/33' } }] }, /invalid network/],
    [{ conditions: [{ op: 'eq', args: { values: ['{data[x]}', 1] } }] }, /invalid formatting variable key "data"/],
    [{ actions: [{ op: 'api-call', args: { url: 'http://example.com' } }] }, /"api-call" is not supported: rules make no outbound HTTP calls/],
    [{ actions: [{ op: 'set-attribute', args: { path: '/driver_info/ipmi_address', value: '10.0.0.1' } }] }, /never from a rule/],
    [{ actions: [{ op: 'add-trait', args: { name: 'lower' } }] }, /invalid trait name/],
    [{ actions: [{ op: 'set-plugin-data', args: { path: 'inventory.cpu', value: 1 } }] }, /the inventory is not plugin data/],
    [{ priority: 10000 }, /Priority must be between 0 and 9999/],
    [{ priority: -1 }, /Priority cannot be negative/],
    [{ phase: 'early' }, /Invalid phase/],
    [{ actions: [] }, /at least one action is required/],
    [{ colour: 'red' }, /colour/],
  ])('%j is refused', (body, message) => {
    expect(() => parseInspectionRule({ actions: [TRAIT], ...body })).toThrow(message);
  });

  test('built-in rules may have any priority', () => {
    expect(parseInspectionRule({ actions: [TRAIT], priority: -5 }, true).priority).toBe(-5);
  });

  test('in a loop, a templated regex is checked when the rule runs, not when stored', () => {
    expect(() => parseInspectionRule({ conditions: [{ op: 'matches', args: { value: 'x', regex: '{item}' }, loop: ['^x'] }], actions: [TRAIT] })).not.toThrow();
  });
});

describe('conditions', () => {
  test.each([
    [{ op: 'eq', args: { values: ['{inventory[cpu][count]}', 8] } }, true],
    [{ op: 'eq', args: { values: ['{inventory[cpu][count]}', 4] } }, false],
    [{ op: '!eq', args: { values: ['{inventory[cpu][count]}', 4] } }, true],
    [{ op: 'gt', args: { values: ['{inventory[memory][physical_mb]}', 4096] } }, true],
    [{ op: 'lt', args: { values: ['{inventory[memory][physical_mb]}', 4096] } }, false],
    [{ op: 'eq', args: { values: [1] } }, true],
    [{ op: 'in-net', args: { address: '{inventory[bmc_address]}', subnet: '10.0.0.0/24' } }, true],
    [{ op: 'in-net', args: { address: '{inventory[bmc_address]}', subnet: '192.168.0.0/16' } }, false],
    [{ op: 'matches', args: { value: '{inventory[system_vendor][manufacturer]}', regex: 'Dell' } }, true],
    [{ op: 'matches', args: { value: '{inventory[system_vendor][manufacturer]}', regex: 'Inc' } }, false],
    [{ op: 'contains', args: { value: '{inventory[system_vendor][manufacturer]}', regex: 'Inc' } }, true],
    [{ op: 'one-of', args: { value: '{inventory[system_vendor][manufacturer]}', values: ['HPE', 'Dell Inc.'] } }, true],
    [{ op: 'is-empty', args: { value: '{plugin_data[empty_list]}' } }, true],
    [{ op: 'is-empty', args: { value: '{inventory[no_such_key]}' } }, true],
    [{ op: 'is-empty', args: { value: '{inventory[bmc_address]}' } }, false],
    [{ op: 'is-true', args: { value: 'Yes' } }, true],
    [{ op: 'is-false', args: { value: 'no' } }, true],
    [{ op: 'is-none', args: { value: null } }, true],
  ])('%j → %s', (condition, expected) => {
    expect(holds(condition)).toBe(expected);
  });

  test('a loop checks each item, combined by multiple', () => {
    const nic = (multiple: string, loop: unknown[]) =>
      holds({ op: 'eq', args: { values: ['{item}', '52:54:00:12:34:02'] }, loop, multiple });
    const macs = ['52:54:00:12:34:01', '52:54:00:12:34:02'];
    expect(nic('any', macs)).toBe(true);
    expect(nic('all', macs)).toBe(false);
    expect(nic('first', macs)).toBe(true);
    expect(nic('last', macs)).toBe(true);
    expect(nic('last', [...macs].reverse())).toBe(false);
    expect(nic('any', [])).toBe(false);
  });

  test('a lt between text and a list is an error naming the rule and the condition', () => {
    const r = rule({ description: 'odd', conditions: [{ op: 'lt', args: { values: ['abc', [1]] } }] });
    expect(() => applyInspectionRule(r, makeCtx(), () => undefined)).toThrow(new HookError(`inspection rule ${UUID} ("odd"): condition 0 (lt) failed: cannot order string "abc" against list [1]`));
  });
});

describe('actions', () => {
  test('set-attribute (with or without the leading slash), extend-attribute, capabilities and traits', () => {
    const ctx = makeCtx({ node: { properties: { capabilities: 'boot_mode:uefi,old:1' } } });
    const matched = applyInspectionRule(
      rule({
        actions: [
          { op: 'set-attribute', args: { path: 'properties/vendor', value: '{inventory[system_vendor][manufacturer]}' } },
          { op: 'extend-attribute', args: { path: '/extra/tags', value: 'dell', unique: true } },
          { op: 'extend-attribute', args: { path: '/extra/tags', value: 'dell', unique: true } },
          { op: 'set-capability', args: { name: 'cpus', value: '{inventory[cpu][count]}' } },
          { op: 'unset-capability', args: { name: 'old' } },
          { op: 'add-trait', args: { name: 'CUSTOM_DELL' } },
        ],
      }),
      ctx,
      () => undefined,
    );
    expect(matched).toBe(true);
    expect(ctx.patch.properties).toEqual({ vendor: 'Dell Inc.', capabilities: 'boot_mode:uefi,cpus:8' });
    expect(ctx.patch.extra).toEqual({ tags: ['dell'] });
    expect(ctx.patch.addTraits).toEqual(['CUSTOM_DELL']);
  });

  test('plugin data: set, extend and unset by dotted path, in a loop', () => {
    const ctx = makeCtx();
    applyInspectionRule(
      rule({
        actions: [
          { op: 'set-plugin-data', args: { path: 'gpu.model', value: 'T4' } },
          { op: 'extend-plugin-data', args: { path: 'gpu.slots', value: '{item}' }, loop: ['1', '2'] },
          { op: 'unset-plugin-data', args: { path: 'empty_string' } },
        ],
      }),
      ctx,
      () => undefined,
    );
    expect(ctx.data.gpu).toEqual({ model: 'T4', slots: ['1', '2'] });
    expect('empty_string' in ctx.data).toBe(false);
  });

  test('log goes to the logger with its level; fail ends with its message', () => {
    const lines: string[] = [];
    const ctx = makeCtx();
    const body = { actions: [{ op: 'log', args: { msg: 'cpus: {inventory[cpu][count]}', level: 'WARNING' } }, { op: 'fail', args: { msg: 'too old' } }] };
    expect(() => applyInspectionRule(rule(body), ctx, (level, msg) => lines.push(`${level} ${msg}`))).toThrow(new RuleFailError('too old'));
    expect(lines).toEqual(['warn cpus: 8']);
  });

  test('a rule whose condition fails runs no action', () => {
    const ctx = makeCtx();
    expect(applyInspectionRule(rule({ conditions: [{ op: 'eq', args: { values: [1, 2] } }] }), ctx, () => undefined)).toBe(false);
    expect(ctx.patch.addTraits).toEqual([]);
  });
});

describe('secrets', () => {
  test('password, auth_token and bmc_password values are masked wherever they are in the data; plugin data writes are seen next', () => {
    const ctx = makeCtx();
    ctx.data.inventory = { ...ctx.data.inventory, bmc: { bmc_password: 'Very-Secret-1', user: 'root' } } as typeof ctx.data.inventory;
    ctx.data.creds = [{ auth_token: 'tok-1' }];
    applyInspectionRule(
      rule({
        actions: [
          { op: 'set-attribute', args: { path: '/extra/bmc', value: '{inventory[bmc]}' } },
          { op: 'set-attribute', args: { path: '/extra/token', value: '{plugin_data[creds][0][auth_token]}' } },
          { op: 'set-plugin-data', args: { path: 'seen', value: 'yes' } },
          { op: 'set-attribute', args: { path: '/extra/seen', value: '{plugin_data[seen]}' } },
        ],
      }),
      ctx,
      () => undefined,
    );
    expect(ctx.patch.extra).toEqual({ bmc: '{"bmc_password":"******","user":"root"}', token: '******', seen: 'yes' });
    expect(JSON.stringify(ctx.patch)).not.toMatch(/Very-Secret-1|tok-1/);
  });
});

describe('order beside ironic-inspector rules', () => {
  test('priority above 0 first, then the v1 rules, then the rest; later rules see earlier writes', () => {
    const set = (uuid: string, priority: number, value: string) => ({
      ...parseInspectionRule({ priority, actions: [{ op: 'set-attribute', args: { path: '/extra/last', value } }, { op: 'extend-attribute', args: { path: '/extra/order', value } }] }),
      uuid,
    });
    const v1 = parseRule({ uuid: '00000000-0000-0000-0000-0000000000aa', actions: [{ action: 'extend-attribute', path: '/extra/order', value: 'v1' }] });
    const ctx = makeCtx();
    const matched = applyAllRules([v1], [set('low', 0, 'zero'), set('high', 90, 'ninety'), set('mid', 10, 'ten')], ctx, () => undefined);
    expect(ctx.patch.extra.order).toEqual(['ninety', 'ten', 'v1', 'zero']);
    expect(ctx.patch.extra.last).toBe('zero');
    expect(matched).toEqual(['high', 'mid', '00000000-0000-0000-0000-0000000000aa', 'low']);
  });
});

// Rules' conditions in the fleet query language: `{"op": "expr", "value": "..."}` in
// ironic-inspector's rules, `{"op": "expr", "args": {"expression": "..."}}` in Ironic's.

import { applyRules, checkCondition } from '../../activities/rules/apply';
import { applyInspectionRule } from '../../activities/rules/ironic-apply';
import { parseInspectionRule } from '../../activities/rules/ironic-schema';
import { parseRule, RuleValidationError } from '../../activities/rules/schema';
import { makeCtx } from './helpers';

const cond = (value: string, invert = false) => parseRule({ conditions: [{ op: 'expr', value, invert }], actions: [{ action: 'add-trait', name: 'CUSTOM_X' }] }).conditions[0]!;

describe('ironic-inspector rules: op expr', () => {
  it.each([
    ['count(inventory.disks) >= 2', true],
    ['count(inventory.disks) >= 4', false],
    ['inventory.memory.physical_mb < 262144 and inventory.cpu.model_name ~ "Xeon"', true],
    ['any(inventory.interfaces, name == "eth1")', true],
    ['node.name == "node-1"', true],
    ['node.properties.cpus == 8', true],
    ['"CUSTOM_OLD" in node.traits', true],
  ])('%s is %s on the fixture data', (text, expected) => {
    const ctx = makeCtx({ node: { traits: ['CUSTOM_OLD'] }, patch: { properties: { cpus: 8 } } as never });
    expect(checkCondition(cond(text), ctx)).toBe(expected);
    expect(checkCondition(cond(text, true), ctx)).toBe(!expected);
  });

  it('runs the actions of a rule whose expression holds, beside the other ops', () => {
    const rule = parseRule({
      description: 'many disks',
      conditions: [
        { op: 'expr', value: 'count(inventory.disks) >= 2' },
        { op: 'ge', field: 'inventory.memory.physical_mb', value: 1024 },
      ],
      actions: [{ action: 'add-trait', name: 'CUSTOM_MANY_DISKS' }],
    });
    const ctx = makeCtx();
    expect(applyRules([rule], ctx).matched).toEqual(['many disks']);
    expect(ctx.patch.addTraits).toEqual(['CUSTOM_MANY_DISKS']);
  });

  it('refuses, when stored, an expression that does not parse, naming the position', () => {
    expect(() => parseRule({ conditions: [{ op: 'expr', value: 'count(inventory.disks) >=' }], actions: [{ action: 'fail', message: 'x' }] })).toThrow(
      new RuleValidationError('conditions.0.value: at position 25: expected a value, a field or "(", found the end of the expression', []),
    );
    expect(() => parseRule({ conditions: [{ op: 'expr', field: 'x', value: 'true' }], actions: [{ action: 'fail', message: 'x' }] })).toThrow(/field/);
    expect(() => parseRule({ conditions: [{ op: 'expr' }], actions: [{ action: 'fail', message: 'x' }] })).toThrow(/missing required parameter "value"/);
    expect(() => parseRule({ conditions: [{ op: 'exprr', value: 'x' }], actions: [{ action: 'fail', message: 'x' }] })).toThrow(/expected one of: .*expr/);
  });
});

describe("Ironic's inspection rules: op expr", () => {
  const rule = (conditions: unknown[]) => ({ ...parseInspectionRule({ conditions, actions: [{ op: 'add-trait', args: { name: 'CUSTOM_X' } }] }), uuid: 'r-1' });
  const log = () => undefined;

  it.each([
    [{ op: 'expr', args: { expression: 'count(inventory.disks) == 2 and node.name == "node-1"' } }, true],
    [{ op: '!expr', args: ['count(inventory.disks) == 2'] }, false],
    [{ op: 'expr', args: { expression: 'item > 3' }, loop: [1, 5], multiple: 'any' }, true],
    [{ op: 'expr', args: { expression: 'item > 3' }, loop: [1, 5], multiple: 'all' }, false],
  ])('%j matches: %s', (condition, expected) => {
    const ctx = makeCtx();
    expect(applyInspectionRule(rule([condition]), ctx, log)).toBe(expected);
    expect(ctx.patch.addTraits).toEqual(expected ? ['CUSTOM_X'] : []);
  });

  it('refuses a bad expression when stored', () => {
    expect(() => rule([{ op: 'expr', args: { expression: 'a ==' } }])).toThrow(/expr: at position 4/);
    expect(() => rule([{ op: 'expr', args: { expression: 5 } }])).toThrow(/expression must be a string/);
  });
});

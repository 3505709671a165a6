import { HookError, type HookContext } from '../hooks/types';
import { RuleFailError, runAction } from './actions';
import { CONDITIONS } from './conditions';
import { fieldValues, nodeView, parseField } from './fields';
import type { Condition, Rule } from './schema';
import { evaluate } from '../../common/expr/evaluate';
import { parseExpr } from '../../common/expr/parse';

// Running introspection rules, as ironic-inspector's rules.apply(): first every rule's
// scope and conditions are checked (against the data and the node as it stands before
// any rule acts), then the actions of the matching rules run, in rule order.

/** How errors name a rule: its uuid and description when it has them. */
export function ruleLabel(rule: Pick<Rule, 'uuid' | 'description'>, index: number): string {
  if (rule.uuid && rule.description) return `${rule.uuid} ("${rule.description}")`;
  if (rule.uuid) return rule.uuid;
  if (rule.description) return `"${rule.description}"`;
  return `#${index}`;
}

/**
 * Whether one condition holds. Each value the field selects is checked (then inverted
 * when `invert`); `multiple` combines them: any (one holds), all (every one holds),
 * first (only the first counts). A field that selects nothing fails the condition,
 * except for is-empty, which then checks null.
 */
export function checkCondition(cond: Condition, ctx: HookContext): boolean {
  if (cond.op === 'expr') return evaluate(parseExpr(cond.value), { ...ctx.data, node: nodeView(ctx) }) !== cond.invert;
  const op = CONDITIONS[cond.op];
  let values = fieldValues(parseField(cond.field), ctx);
  if (values.length === 0) {
    if (!op.allowNone) return false;
    values = [null];
  }
  const params = 'value' in cond ? { value: cond.value } : {};
  let result = false;
  for (const value of values) {
    result = op.check(value, params);
    if (cond.invert) result = !result;
    if (cond.multiple === 'first' || (cond.multiple === 'all' && !result) || (cond.multiple === 'any' && result)) break;
  }
  return result;
}

/** Whether the rule's scope lets it apply: no scope, or the node's properties.inspection_scope equals it. */
export function inScope(rule: Pick<Rule, 'scope'>, ctx: HookContext): boolean {
  if (!rule.scope) return true;
  return nodeView(ctx).properties['inspection_scope'] === rule.scope;
}

/** Whether all of a rule's conditions hold (a rule without conditions always matches). */
export function checkRule(rule: Rule, ctx: HookContext, index = 0): boolean {
  return rule.conditions.every((cond, i) => {
    try {
      return checkCondition(cond, ctx);
    } catch (err) {
      throw new HookError(
        `rule ${ruleLabel(rule, index)}: condition ${i} (${cond.op === 'expr' ? `expr ${JSON.stringify(cond.value)}` : `${cond.op} on ${cond.field}`}) failed: ${(err as Error).message}`,
      );
    }
  });
}

/**
 * Applies the rules to the context: actions of every matching rule (in scope, all
 * conditions true) write into ctx.patch. Returns the matched rules (uuid, else
 * description, else `#index`). A `fail` action throws HookError with its message; any
 * other error throws HookError naming the rule.
 */
export function applyRules(rules: Rule[], ctx: HookContext): { matched: string[] } {
  const toApply: { rule: Rule; index: number }[] = [];
  rules.forEach((rule, index) => {
    if (inScope(rule, ctx) && checkRule(rule, ctx, index)) toApply.push({ rule, index });
  });

  for (const { rule, index } of toApply) {
    // As ironic-inspector, formatting sees the data (and here the node) as of this rule.
    const vars = { data: ctx.data, node: nodeView(ctx) };
    rule.actions.forEach((action, i) => {
      try {
        runAction(ctx, action, vars);
      } catch (err) {
        if (err instanceof RuleFailError) throw err;
        throw new HookError(`rule ${ruleLabel(rule, index)}: action ${i} (${action.action}) failed: ${(err as Error).message}`);
      }
    });
  }
  return { matched: toApply.map(({ rule, index }) => rule.uuid ?? rule.description ?? `#${index}`) };
}

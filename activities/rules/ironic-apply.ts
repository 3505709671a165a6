import type { HookContext } from '../hooks/types';
import { extendAttribute, RuleFailError, setAttribute, setCapability, addTrait, removeTrait } from './actions';
import { contains, eq, gt, inNet, isEmpty, lt } from './conditions';
import { nodeView } from './fields';
import { deepEqual } from '../../common/deep-equal';
import { evaluate } from '../../common/expr/evaluate';
import { parseExpr } from '../../common/expr/parse';
import { compileRegex, regexText } from '../../common/regex';
import { toText } from '../../common/value-text';
import { formatString, type FormatVariables } from './format';
import { ACTIONS, attributePointer, OPERATORS, pluginDataPath, type InspectionAction, type InspectionCondition, type InspectionRule } from './ironic-schema';
import { childValue } from './keys';
import { HookError } from '../hooks/types';
import { SECRET_MASK } from '../../nodes/secrets';
import type { InspectionRuleRecord } from '../../nodes/inspection-rules';
import { applyRules } from './apply';
import { parseInspectionRule } from './ironic-schema';
import { RuleValidationError, type Rule } from './schema';

// Running Ironic's inspection rules (ironic/common/inspection_rules/engine.py) on the
// processing context, with the conditions and actions of ironic-inspector's rules where the
// two agree: a rule's conditions are checked, then, if all hold, its actions run, before the
// next rule is checked (so a rule sees what earlier ones did).
//
// Args are formatted as Ironic does (Python str.format over `node`, `inventory`,
// `plugin_data` and, in a loop, `item`): the args the op formats, every arg in a loop; a
// string that cannot be formatted stays as written (is-empty: counts as empty). eq, lt and gt
// compare a numeric string with a number as numbers, as the v1 rules do.

type Args = Record<string, unknown>;
export type RuleLogger = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;

const LOG_LEVEL: Record<string, Parameters<RuleLogger>[0]> = { debug: 'debug', info: 'info', warning: 'warn', error: 'error', critical: 'error' };

/** The processed data but its inventory: what Ironic calls plugin data. */
function pluginData(ctx: HookContext): Record<string, unknown> {
  const { inventory: _inventory, ...rest } = ctx.data;
  return rest;
}

/** Keys whose values rules never see (Ironic's SENSITIVE_FIELDS, masked as its default mask_secrets = always). */
const SENSITIVE_KEYS = new Set(['password', 'auth_token', 'bmc_password']);

function masked(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(masked);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SENSITIVE_KEYS.has(k) ? SECRET_MASK : masked(v)]));
}

/** The masked views of one processing run's data, made once (plugin data again after a rule writes it). */
const views = new WeakMap<HookContext, { inventory: unknown; pluginData?: unknown }>();

function variables(ctx: HookContext, item?: { item: unknown }): FormatVariables {
  let view = views.get(ctx);
  if (!view) views.set(ctx, (view = { inventory: masked(ctx.data.inventory) }));
  view.pluginData ??= masked(pluginData(ctx));
  return { node: nodeView(ctx), inventory: view.inventory, plugin_data: view.pluginData, ...item };
}

function interpolate(value: unknown, vars: FormatVariables, op: string): unknown {
  if (typeof value === 'string') {
    try {
      return formatString(value, vars);
    } catch {
      return op === 'is-empty' ? null : value;
    }
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, vars, op));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [interpolate(k, vars, op) as string, interpolate(v, vars, op)]));
  }
  return value;
}

function formattedArgs(args: Args, formatted: readonly string[], vars: FormatVariables, op: string, looped: boolean): Args {
  return Object.fromEntries(Object.entries(args).map(([k, v]) => [k, looped || formatted.includes(k) ? interpolate(v, vars, op) : v]));
}

/** The args an op formats (outside a loop), from its signature. */
function formattedOf(op: string): readonly string[] {
  const sig: { formatted?: readonly string[] } | undefined = (OPERATORS as Record<string, object>)[op] ?? (ACTIONS as Record<string, object>)[op];
  return sig?.formatted ?? [];
}

/** eq, lt, gt: each value against the next (fewer than two: true). */
function chain(check: (a: unknown, b: unknown) => boolean, args: Args): boolean {
  const values = args.values;
  if (!Array.isArray(values)) throw new Error(`expected a list for "values", got ${toText(values)}`);
  const list = args.force_strings ? values.map(toText) : values;
  return list.every((v, i) => i === list.length - 1 || check(v, list[i + 1]));
}

function isTrue(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return ['yes', 'true'].includes(value.toLowerCase());
  return false;
}

function isFalse(value: unknown): boolean {
  if (typeof value === 'boolean') return !value;
  if (typeof value === 'number') return value === 0;
  if (typeof value === 'string') return ['no', 'false'].includes(value.toLowerCase());
  return value === null || value === undefined;
}

const OPERATIONS: Record<string, (args: Args, vars: FormatVariables) => boolean> = {
  eq: (args) => chain((a, b) => eq(a, { value: b }), args),
  lt: (args) => chain((a, b) => lt(a, { value: b }), args),
  gt: (args) => chain((a, b) => gt(a, { value: b }), args),
  // Ironic: str(value) in ('', 'None', '[]', '{}').
  'is-empty': ({ value }) => isEmpty(value) || value === 'None' || value === '[]' || value === '{}',
  'in-net': ({ address, subnet }) => inNet(address, { value: String(subnet) }),
  // Python's re.match: anchored at the start only.
  matches: ({ value, regex }) => compileRegex(String(regex)).matcher(regexText(value)).lookingAt(),
  contains: ({ value, regex }) => contains(value, { value: String(regex) }),
  'one-of': ({ value, values }) => (Array.isArray(values) ? values : []).some((v) => deepEqual(v, value)),
  'is-none': ({ value }) => value === null || value === undefined,
  'is-true': ({ value }) => isTrue(value),
  'is-false': ({ value }) => isFalse(value),
  expr: ({ expression }, vars) => evaluate(parseExpr(String(expression)), vars),
};

function checkOnce(cond: InspectionCondition, ctx: HookContext, item?: { item: unknown }): boolean {
  const inverted = cond.op.startsWith('!');
  const op = inverted ? cond.op.slice(1) : cond.op;
  const looped = item !== undefined;
  const vars = variables(ctx, item);
  const args = formattedArgs(cond.args as Args, formattedOf(op), vars, op, looped);
  // In a loop every arg is formatted (text): compared as text, as Ironic's force_strings.
  if (looped && ['eq', 'lt', 'gt'].includes(op)) args.force_strings = true;
  const result = OPERATIONS[op]!(args, vars);
  return inverted ? !result : result;
}

/** One condition; with `loop`, once per item, combined by `multiple` as Ironic does. */
export function checkInspectionCondition(cond: InspectionCondition, ctx: HookContext): boolean {
  if (cond.loop === undefined) return checkOnce(cond, ctx);
  const multiple = cond.multiple ?? 'any';
  if (!Array.isArray(cond.loop)) return checkOnce(cond, ctx, { item: cond.loop });
  let results: boolean[] = [];
  for (const item of cond.loop) {
    const result = checkOnce(cond, ctx, { item });
    if (multiple === 'first' && result) return true;
    results = multiple === 'last' ? [result] : [...results, result];
  }
  if (multiple === 'any') return results.some(Boolean);
  if (multiple === 'all') return results.every(Boolean);
  return results[0] ?? false;
}

function pluginDataParent(ctx: HookContext, path: string, create: boolean): { parent: Record<string, unknown>; key: string } | undefined {
  const keys = pluginDataPath(path);
  let parent: Record<string, unknown> = ctx.data;
  for (const key of keys.slice(0, -1)) {
    let next = childValue(parent, key);
    if (next === undefined && create) parent[key] = next = {};
    if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      if (!create) return undefined;
      throw new Error(`cannot write plugin data ${path}: "${key}" is not an object`);
    }
    parent = next as Record<string, unknown>;
  }
  return { parent, key: keys[keys.length - 1]! };
}

function runOnce(action: InspectionAction, ctx: HookContext, log: RuleLogger, item?: { item: unknown }): void {
  const args = formattedArgs(action.args as Args, formattedOf(action.op), variables(ctx, item), action.op, item !== undefined);
  const text = (name: string) => (typeof args[name] === 'string' ? (args[name] as string) : toText(args[name]));
  switch (action.op) {
    case 'fail':
      throw new RuleFailError(text('msg'));
    case 'log':
      return log(LOG_LEVEL[String(args.level ?? 'info').toLowerCase()] ?? 'info', text('msg'));
    case 'set-attribute':
      return setAttribute(ctx, { path: attributePointer(text('path')), value: args.value });
    case 'extend-attribute':
      return extendAttribute(ctx, { path: attributePointer(text('path')), value: args.value, unique: args.unique === true });
    case 'set-capability':
      return setCapability(ctx, { name: text('name'), value: args.value });
    case 'unset-capability':
      return setCapability(ctx, { name: text('name'), value: null });
    case 'add-trait':
      return addTrait(ctx, { name: text('name') });
    case 'remove-trait':
      return removeTrait(ctx, { name: text('name') });
    case 'set-plugin-data': {
      const { parent, key } = pluginDataParent(ctx, text('path'), true)!;
      parent[key] = args.value;
      return;
    }
    case 'extend-plugin-data': {
      const { parent, key } = pluginDataParent(ctx, text('path'), true)!;
      const current = childValue(parent, key) ?? [];
      if (!Array.isArray(current)) throw new Error(`cannot extend plugin data ${text('path')}: it is not a list`);
      if (args.unique !== true || !current.some((v) => deepEqual(v, args.value))) parent[key] = [...current, args.value];
      return;
    }
    case 'unset-plugin-data': {
      const found = pluginDataParent(ctx, text('path'), false);
      if (found && Object.prototype.hasOwnProperty.call(found.parent, found.key)) delete found.parent[found.key];
      return;
    }
  }
}

function runAction(action: InspectionAction, ctx: HookContext, log: RuleLogger): void {
  for (const item of action.loop === undefined ? [undefined] : Array.isArray(action.loop) ? action.loop : [action.loop]) {
    runOnce(action, ctx, log, action.loop === undefined ? undefined : { item });
    // What the rule wrote is seen by the next action and rule.
    if (action.op.endsWith('-plugin-data')) delete views.get(ctx)?.pluginData;
  }
}

/**
 * Applies one rule: when all its conditions hold, its actions, in order. Whether it matched.
 * A `fail` action throws RuleFailError with its message; any other error, HookError naming the rule.
 */
export function applyInspectionRule(rule: InspectionRule & { uuid: string }, ctx: HookContext, log: RuleLogger): boolean {
  const name = rule.description ? `${rule.uuid} ("${rule.description}")` : rule.uuid;
  const matched = rule.conditions.every((cond, i) => {
    try {
      return checkInspectionCondition(cond, ctx);
    } catch (err) {
      throw new HookError(`inspection rule ${name}: condition ${i} (${cond.op}) failed: ${(err as Error).message}`);
    }
  });
  if (!matched) return false;
  rule.actions.forEach((action, i) => {
    try {
      runAction(action, ctx, log);
    } catch (err) {
      if (err instanceof RuleFailError) throw err;
      throw new HookError(`inspection rule ${name}: action ${i} (${action.op}) failed: ${(err as Error).message}`);
    }
  });
  return true;
}

/** A stored rule, checked again (today's limits): a rule that broke them is named, to be fixed or deleted. */
export function storedInspectionRule(record: InspectionRuleRecord): InspectionRule & { uuid: string } {
  const { uuid, description, priority, sensitive, phase, conditions, actions, built_in } = record;
  try {
    return { ...parseInspectionRule({ description, priority, sensitive, phase, conditions, actions }, built_in), uuid };
  } catch (err) {
    if (err instanceof RuleValidationError) throw new RuleValidationError(`stored inspection rule ${uuid} is not valid any more (delete or re-create it): ${err.message}`, err.issues);
    throw err;
  }
}

/**
 * Both kinds of rules, in priority order: Ironic's, highest first; ironic-inspector's count as
 * priority 0 and run (as one batch, as ironic-inspector applies them) after Ironic's rules
 * above 0 and before those at 0 or below. The names of the rules that matched.
 */
export function applyAllRules(inspectorRules: Rule[], rules: (InspectionRule & { uuid: string })[], ctx: HookContext, log: RuleLogger): string[] {
  const run = (list: (InspectionRule & { uuid: string })[]) => list.filter((rule) => applyInspectionRule(rule, ctx, log)).map((rule) => rule.uuid);
  const sorted = [...rules].sort((a, b) => b.priority - a.priority);
  return [
    ...run(sorted.filter((r) => r.priority > 0)),
    ...applyRules(inspectorRules, ctx).matched,
    ...run(sorted.filter((r) => r.priority <= 0)),
  ];
}

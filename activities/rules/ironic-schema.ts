import { z } from 'zod';
import { describeZodError } from '../../common/validation';
import { parseAttributePath, TRAIT_PATTERN } from './actions';
import { compileRegex } from '../../common/regex';
import { compileNetwork } from './conditions';
import { checkTemplates } from './format';
import { MAX_RULE_BYTES, RuleValidationError } from './schema';
import { assertSafeKey } from './keys';
import { parseExpr } from '../../common/expr/parse';

// An inspection rule as Ironic's API takes it (API 1.96, /v1/inspection_rules):
//
//   { "description": "...", "priority": 50, "sensitive": false, "phase": "main",
//     "conditions": [{"op": "gt", "args": {"values": ["{inventory[memory][physical_mb]}", 4096]}}],
//     "actions": [{"op": "add-trait", "args": {"name": "CUSTOM_BIG_MEMORY"}}] }
//
// Each op takes named args (Ironic still reads a list, positionally: normalized to names
// here and stored so); `!op` inverts a condition; `loop` runs a condition or action once per
// item (`{item}` in its args), `multiple` (any, all, first, last) combines a condition's
// results. Args are checked when the rule is stored: required and unexpected names,
// templates, regexes and networks that are not templates, attribute paths. The bounds of
// ironic-inspector's rules (schema.ts) apply too.

/** What formatting may refer to in Ironic's rules. */
export const IRONIC_VARIABLES = ['node', 'inventory', 'plugin_data', 'item'] as const;

interface Signature {
  required: string[];
  optional?: string[];
  /** Args formatted with the variables (in a loop, every arg is). */
  formatted?: string[];
}

const simple: Signature = { required: ['values'], optional: ['force_strings'], formatted: ['values'] };
const oneValue: Signature = { required: ['value'], formatted: ['value'] };

export const OPERATORS = {
  eq: simple,
  lt: simple,
  gt: simple,
  'is-empty': oneValue,
  'in-net': { required: ['address', 'subnet'], formatted: ['address', 'subnet'] },
  matches: { required: ['value', 'regex'], formatted: ['value'] },
  contains: { required: ['value', 'regex'], formatted: ['value'] },
  'one-of': { required: ['value'], optional: ['values'], formatted: ['value'] },
  'is-none': oneValue,
  'is-true': oneValue,
  'is-false': oneValue,
  // Not Ironic's: the fleet query language (common/expr) over node, inventory, plugin_data (and item).
  expr: { required: ['expression'] },
} satisfies Record<string, Signature>;
export type OperatorName = keyof typeof OPERATORS;

export const ACTIONS = {
  fail: { required: ['msg'] },
  log: { required: ['msg'], optional: ['level'], formatted: ['msg'] },
  'set-attribute': { required: ['path', 'value'], formatted: ['value'] },
  'extend-attribute': { required: ['path', 'value'], optional: ['unique'], formatted: ['value'] },
  'set-capability': { required: ['name', 'value'], formatted: ['value'] },
  'unset-capability': { required: ['name'] },
  'add-trait': { required: ['name'] },
  'remove-trait': { required: ['name'] },
  'set-plugin-data': { required: ['path', 'value'], formatted: ['value'] },
  'extend-plugin-data': { required: ['path', 'value'], optional: ['unique'], formatted: ['value'] },
  'unset-plugin-data': { required: ['path'] },
} satisfies Record<string, Signature>;
export type ActionName = keyof typeof ACTIONS;

/** Ironic's actions this service does not run, and why (a rule using one is refused when stored). */
const NOT_SUPPORTED: Record<string, string> = {
  'del-attribute': 'node attributes are set (to null) rather than deleted here: use set-attribute',
  'set-port-attribute': 'ports are written by the processing hooks only',
  'extend-port-attribute': 'ports are written by the processing hooks only',
  'del-port-attribute': 'ports are written by the processing hooks only',
  'api-call': 'rules make no outbound HTTP calls here',
};

export const LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'critical'];
const MULTIPLE = ['any', 'all', 'first', 'last'] as const;
export const PHASES = ['main'] as const;
/** User rules' priorities; built-in rules (from the file) may have any. */
export const MAX_PRIORITY = 9999;
const MAX_CONDITIONS = 50;
const MAX_ACTIONS = 50;
const MAX_LOOP_ITEMS = 100;

const Args = z.union([z.array(z.json()), z.record(z.string(), z.json())], { error: 'args must be either a list or an object' });
const Loop = z.union([z.array(z.json()).max(MAX_LOOP_ITEMS), z.record(z.string(), z.json())], { error: 'loop must be a list or an object' });

/** Args as names: a list is read positionally (required names, then optional ones), as Ironic does. */
function namedArgs(sig: Signature, args: z.infer<typeof Args>): Record<string, unknown> {
  if (!Array.isArray(args)) return args;
  const names = [...sig.required, ...(sig.optional ?? [])];
  if (args.length > names.length) throw new Error(`too many arguments: ${args.length}, at most ${names.length} (${names.join(', ')})`);
  return Object.fromEntries(args.map((value, i) => [names[i]!, value]));
}

function checkNames(sig: Signature, args: Record<string, unknown>): void {
  for (const key of Object.keys(args)) assertSafeKey(key, 'args');
  const missing = sig.required.filter((name) => args[name] === undefined);
  const unexpected = Object.keys(args).filter((name) => !sig.required.includes(name) && !(sig.optional ?? []).includes(name));
  const problems = [
    ...(missing.length ? [`missing required argument(s): ${missing.join(', ')}`] : []),
    ...(unexpected.length ? [`unexpected argument(s): ${unexpected.join(', ')}`] : []),
  ];
  if (problems.length) throw new Error(problems.join('; '));
}

const isTemplate = (value: unknown) => typeof value === 'string' && value.includes('{');

/** An arg that is text now (not a template filled in when the rule runs). */
function literal(args: Record<string, unknown>, name: string, looped: boolean): string | undefined {
  const value = args[name];
  if (looped && isTemplate(value)) return undefined;
  if (typeof value !== 'string') throw new Error(`${name} must be a string`);
  return value;
}

/** The checks of one op's args beyond their names; `looped`: formatted per item, so templates may be anywhere. */
function checkArgs(op: string, args: Record<string, unknown>, formatted: string[], looped: boolean): void {
  for (const [name, value] of Object.entries(args)) {
    if (looped || formatted.includes(name)) checkTemplates(value, IRONIC_VARIABLES);
  }
  switch (op) {
    case 'matches':
    case 'contains': {
      const regex = literal(args, 'regex', looped);
      if (regex !== undefined) compileRegex(regex);
      return;
    }
    case 'expr': {
      const expression = literal(args, 'expression', looped);
      if (expression !== undefined) parseExpr(expression);
      return;
    }
    case 'in-net':
      if (!isTemplate(args.subnet)) compileNetwork(String(args.subnet));
      return;
    case 'eq':
    case 'lt':
    case 'gt':
      if (!Array.isArray(args.values) && !(looped && isTemplate(args.values))) throw new Error('values must be a list');
      if (args.force_strings !== undefined && typeof args.force_strings !== 'boolean') throw new Error('force_strings must be true or false');
      return;
    case 'set-attribute':
    case 'extend-attribute': {
      const path = literal(args, 'path', looped);
      if (path !== undefined) parseAttributePath(attributePointer(path), op === 'set-attribute');
      return;
    }
    case 'set-plugin-data':
    case 'extend-plugin-data':
    case 'unset-plugin-data': {
      const path = literal(args, 'path', looped);
      if (path !== undefined) pluginDataPath(path);
      return;
    }
    case 'set-capability':
    case 'unset-capability': {
      const name = literal(args, 'name', looped);
      if (name !== undefined && (name === '' || name.includes(',') || name.includes(':'))) throw new Error('capability name must be non-empty without "," or ":"');
      if (name !== undefined) assertSafeKey(name, 'capability name');
      return;
    }
    case 'add-trait':
    case 'remove-trait': {
      const name = literal(args, 'name', looped);
      if (name !== undefined && !TRAIT_PATTERN.test(name)) throw new Error(`invalid trait name ${JSON.stringify(name)}: expected CUSTOM_[A-Z0-9_]+ or a standard (upper-case) trait`);
      return;
    }
    case 'log':
      if (args.level !== undefined && !LOG_LEVELS.includes(String(args.level).toLowerCase())) {
        throw new Error(`invalid log level ${JSON.stringify(args.level)}: one of ${LOG_LEVELS.join(', ')}`);
      }
      return;
  }
}

/** Ironic's attribute paths may leave out the leading "/": `properties/cpus`. */
export const attributePointer = (path: string) => (path.startsWith('/') ? path : `/${path}`);

/** A plugin data path, dot-separated (`extra.gpu.count`): never the inventory, never a forbidden key. */
export function pluginDataPath(path: string): string[] {
  const keys = path.split('.');
  if (keys.some((k) => k === '')) throw new Error(`plugin data path ${JSON.stringify(path)} has an empty key`);
  if (keys[0] === 'inventory') throw new Error(`plugin data path ${JSON.stringify(path)}: the inventory is not plugin data`);
  for (const key of keys) assertSafeKey(key, `plugin data path ${JSON.stringify(path)}`);
  return keys;
}

/** Checks one condition or action and names its args; a problem becomes an issue naming it. */
function operation<Names extends string>(kind: 'condition' | 'action', table: Record<Names, Signature>) {
  return <T extends { op: string; args: z.infer<typeof Args>; loop?: unknown }>(value: T, ctx: z.core.$RefinementCtx<T>) => {
    const name = kind === 'condition' && value.op.startsWith('!') ? value.op.slice(1) : value.op;
    try {
      if (!Object.prototype.hasOwnProperty.call(table, name)) {
        const why = NOT_SUPPORTED[name];
        throw new Error(why ? `${kind} ${JSON.stringify(name)} is not supported: ${why}` : `unsupported ${kind} operator ${JSON.stringify(value.op)} (one of: ${Object.keys(table).join(', ')})`);
      }
      const sig = table[name as Names];
      const args = namedArgs(sig, value.args);
      checkNames(sig, args);
      checkArgs(name, args, sig.formatted ?? [], value.loop !== undefined);
      return { ...value, args };
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `${value.op}: ${(err as Error).message}` });
      return z.NEVER;
    }
  };
}

const ConditionSchema = z
  .strictObject({
    op: z.string().max(32),
    args: Args,
    loop: Loop.optional(),
    multiple: z.enum(MULTIPLE).optional(),
  })
  .transform(operation('condition', OPERATORS));

const ActionSchema = z
  .strictObject({
    op: z.string().max(32),
    args: Args,
    loop: Loop.optional(),
  })
  .transform(operation('action', ACTIONS));

function ruleSchema(builtIn: boolean) {
  const priority = z.int();
  return z
    .strictObject({
      uuid: z.guid({ error: 'invalid UUID' }).nullish(),
      description: z.string().max(255).nullish(),
      priority: (builtIn ? priority : priority.min(0, { error: 'Priority cannot be negative for user-defined rules.' }).max(MAX_PRIORITY, { error: `Priority must be between 0 and ${MAX_PRIORITY} for user-defined rules.` }))
        .nullish()
        .transform((p) => p ?? 0),
      sensitive: z.boolean().nullish().transform((s) => s ?? false),
      phase: z.enum(PHASES, { error: `Invalid phase: valid phases are: ${PHASES.join(', ')}` }).nullish().transform((p) => p ?? 'main'),
      conditions: z.array(ConditionSchema).max(MAX_CONDITIONS, { error: `more than ${MAX_CONDITIONS} conditions` }).nullish().transform((c) => c ?? []),
      actions: z.array(ActionSchema).min(1, { error: 'at least one action is required' }).max(MAX_ACTIONS, { error: `more than ${MAX_ACTIONS} actions` }),
    })
    .superRefine((rule, ctx) => {
      const bytes = Buffer.byteLength(JSON.stringify(rule));
      if (bytes > MAX_RULE_BYTES) ctx.addIssue({ code: 'custom', message: `rule is ${bytes} bytes serialized, more than ${MAX_RULE_BYTES}` });
    });
}

export const InspectionRuleSchema = ruleSchema(false);
const BuiltInRuleSchema = ruleSchema(true);

export type InspectionRule = z.infer<typeof InspectionRuleSchema>;
export type InspectionCondition = InspectionRule['conditions'][number];
export type InspectionAction = InspectionRule['actions'][number];

/** Validates an Ironic inspection rule (args normalized to names); throws RuleValidationError naming each problem. */
export function parseInspectionRule(body: unknown, builtIn = false): InspectionRule {
  const result = (builtIn ? BuiltInRuleSchema : InspectionRuleSchema).safeParse(body);
  if (!result.success) throw new RuleValidationError(describeZodError(result.error), result.error.issues);
  return result.data;
}

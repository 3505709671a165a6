import { z } from 'zod';
import { describeZodError } from '../../common/validation';
import { compileRegex } from '../../common/regex';
import { compileNetwork, CONDITION_OPS } from './conditions';
import { ACTION_NAMES, parseAttributePath, TRAIT_PATTERN } from './actions';
import { parseField } from './fields';
import { checkTemplates } from './format';
import { assertSafeKey } from './keys';
import { MAX_EXPR_LENGTH, parseExpr } from '../../common/expr/parse';

// An introspection rule as the rules API accepts it (ironic-inspector's JSON DSL):
//
//   { "uuid": "...", "description": "...", "scope": "...",
//     "conditions": [{"op": "ge", "field": "node://properties.memory_mb", "value": 4096}],
//     "actions": [{"action": "add-trait", "name": "CUSTOM_BIG_MEMORY"}] }
//
// Conditions take op, field, multiple (any|all|first, default any), invert (default
// false) and the op's parameters; actions take action and its parameters. As in
// ironic-inspector, unknown and missing parameters are errors.
//
// Rules come from outside and run on every introspection, so they are bounded: sizes
// and counts below, regexes that RE2 runs in linear time, no `__proto__` / `constructor`
// / `prototype` keys, no reads of node secrets (see fields.ts, format.ts, keys.ts).

/** The most rules that may be stored (the API counts them). */
export const MAX_RULES = 1000;
/** The most a rule may take, serialized (JSON, UTF-8, after defaults are filled in). */
export const MAX_RULE_BYTES = 64 * 1024;
const MAX_CONDITIONS = 50;
const MAX_ACTIONS = 50;
const MAX_DESCRIPTION_LENGTH = 255;
/** Condition fields, attribute paths, trait and capability names, scopes. */
const MAX_NAME_LENGTH = 255;
/** A `value`, serialized (a `fail` message: in characters). */
const MAX_VALUE_BYTES = 4 * 1024;
/** Levels of lists/objects inside a `value`. */
const MAX_VALUE_DEPTH = 10;

/** Checks presence (not undefined; not null unless `allowNull`) before the value's own schema. */
function required<T extends z.ZodType>(name: string, schema: T, allowNull = false) {
  return z
    .custom<unknown>((v) => v !== undefined && (allowNull || v !== null), {
      message: `missing required parameter "${name}"`,
    })
    .pipe(schema);
}

/** A check that throws → an issue with the thrown message; it aborts the checks of the enclosing objects (the rule's size). */
function checked<T extends z.ZodType>(schema: T, check: (value: z.output<T>) => unknown) {
  return schema.superRefine((value, ctx) => {
    try {
      check(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message, continue: false });
    }
  });
}

function text(max: number) {
  return z.string().max(max, { error: `longer than ${max} characters` });
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '');
}

/** Throws when a list or object in `value` is nested too deep or holds a forbidden key; stops at the limit. */
function checkNesting(value: unknown, where = 'value', depth = 1): void {
  if (typeof value !== 'object' || value === null) return;
  if (depth > MAX_VALUE_DEPTH) throw new Error(`nested deeper than ${MAX_VALUE_DEPTH} levels`);
  const list = Array.isArray(value);
  for (const [key, child] of Object.entries(value)) {
    if (!list) assertSafeKey(key, where);
    checkNesting(child, list ? `${where}[${key}]` : `${where}.${key}`, depth + 1);
  }
}

function checkValue(value: unknown): void {
  checkNesting(value);
  const bytes = jsonBytes(value);
  if (bytes > MAX_VALUE_BYTES) throw new Error(`${bytes} bytes serialized, more than ${MAX_VALUE_BYTES}`);
}

/** A `value` parameter: bounded (checked on the raw input, before `schema` walks it), then `schema`. */
function bounded<T extends z.ZodType>(schema: T) {
  return checked(z.unknown(), checkValue).pipe(schema);
}

/** A value that actions format: its templates are checked now, not when the rule first applies. */
function formatted<T extends z.ZodType>(schema: T) {
  return checked(schema, checkTemplates);
}

const FieldSchema = required('field', checked(text(MAX_NAME_LENGTH), (f) => parseField(f)));

const conditionBase = {
  field: FieldSchema,
  multiple: z.enum(['any', 'all', 'first']).default('any'),
  invert: z.boolean().default(false),
};

const anyValue = required('value', bounded(z.json()));
const orderedValue = required('value', bounded(z.union([z.number(), z.string()], { error: 'expected a number or a string' })));
const regexValue = required('value', bounded(checked(z.string(), (p) => compileRegex(p))));
const networkValue = required('value', bounded(checked(z.string(), (n) => compileNetwork(n))));

function condition<Op extends string, V extends z.ZodType>(op: Op, value: V) {
  return z.strictObject({ op: z.literal(op), ...conditionBase, value });
}

export const ConditionSchema = z.discriminatedUnion(
  'op',
  [
    condition('eq', anyValue),
    condition('ne', anyValue),
    condition('lt', orderedValue),
    condition('le', orderedValue),
    condition('gt', orderedValue),
    condition('ge', orderedValue),
    condition('in-net', networkValue),
    condition('matches', regexValue),
    condition('contains', regexValue),
    z.strictObject({ op: z.literal('is-empty'), ...conditionBase }),
    // The fleet query language (common/expr) over the data, the node as `node.*`: {"op": "expr", "value": "count(inventory.disks) >= 4"}.
    z.strictObject({
      op: z.literal('expr'),
      value: required('value', checked(text(MAX_EXPR_LENGTH), (e) => parseExpr(e))),
      invert: z.boolean().default(false),
    }),
  ],
  {
    error: (iss) => {
      if (iss.code !== 'invalid_union') return undefined;
      const input = iss.input as { op?: unknown } | undefined;
      if (input?.op === undefined) return 'missing required parameter "op"';
      return `unknown op ${JSON.stringify(input.op)} (expected one of: ${[...CONDITION_OPS, 'expr'].join(', ')})`;
    },
  },
);

const AttributePathSchema = required('path', checked(text(MAX_NAME_LENGTH), (p) => parseAttributePath(p)));
const SetAttributePathSchema = required('path', checked(text(MAX_NAME_LENGTH), (p) => parseAttributePath(p, true)));
const TraitNameSchema = required(
  'name',
  text(MAX_NAME_LENGTH).regex(TRAIT_PATTERN, { error: 'invalid trait name: expected CUSTOM_[A-Z0-9_]+ or a standard (upper-case) trait' }),
);

export const ActionSchema = z.discriminatedUnion(
  'action',
  [
    z.strictObject({ action: z.literal('fail'), message: required('message', text(MAX_VALUE_BYTES)) }),
    z.strictObject({
      action: z.literal('set-attribute'),
      path: SetAttributePathSchema,
      // As ironic-inspector: the key must be present but may be null.
      value: required('value', bounded(formatted(z.json())), true),
    }),
    z.strictObject({
      action: z.literal('extend-attribute'),
      path: AttributePathSchema,
      value: required('value', bounded(formatted(z.json()))),
      unique: z.boolean().default(false),
    }),
    z.strictObject({ action: z.literal('add-trait'), name: TraitNameSchema }),
    z.strictObject({ action: z.literal('remove-trait'), name: TraitNameSchema }),
    z.strictObject({
      action: z.literal('set-capability'),
      name: required(
        'name',
        checked(
          text(MAX_NAME_LENGTH).regex(/^[^,:]+$/, { error: 'capability name must be non-empty without "," or ":"' }),
          (name) => assertSafeKey(name, 'capability name'),
        ),
      ),
      // Optional as in ironic-inspector: null/absent removes the capability.
      value: bounded(formatted(z.union([z.string(), z.number(), z.boolean()]).nullish())).optional(),
    }),
  ],
  {
    error: (iss) => {
      if (iss.code !== 'invalid_union') return undefined;
      const input = iss.input as { action?: unknown } | undefined;
      if (input?.action === undefined) return 'missing required parameter "action"';
      return `unknown action ${JSON.stringify(input.action)} (expected one of: ${ACTION_NAMES.join(', ')})`;
    },
  },
);

export const RuleSchema = z
  .object({
    uuid: z.guid({ error: 'invalid UUID' }).optional(),
    description: text(MAX_DESCRIPTION_LENGTH).nullish(),
    // Rules without conditions always apply.
    conditions: z.array(ConditionSchema).max(MAX_CONDITIONS, { error: `more than ${MAX_CONDITIONS} conditions` }).default([]),
    actions: z
      .array(ActionSchema)
      .min(1, { error: 'at least one action is required' })
      .max(MAX_ACTIONS, { error: `more than ${MAX_ACTIONS} actions` }),
    scope: text(MAX_NAME_LENGTH).nullish(),
  })
  .superRefine((rule, ctx) => {
    const bytes = jsonBytes(rule);
    if (bytes > MAX_RULE_BYTES) ctx.addIssue({ code: 'custom', message: `rule is ${bytes} bytes serialized, more than ${MAX_RULE_BYTES}` });
  });

export type Rule = z.infer<typeof RuleSchema>;
export type RuleInput = z.input<typeof RuleSchema>;
export type Condition = z.infer<typeof ConditionSchema>;
export type Action = z.infer<typeof ActionSchema>;

/** Thrown by parseRule; the message names each offending path, e.g. `conditions.0.op: unknown op "eqq" ...`. */
export class RuleValidationError extends Error {
  constructor(
    message: string,
    readonly issues: z.core.$ZodIssue[],
  ) {
    super(message);
    this.name = 'RuleValidationError';
  }
}

/** Validates a rule body as the API receives it; throws RuleValidationError. */
export function parseRule(body: unknown): Rule {
  const result = RuleSchema.safeParse(body);
  if (!result.success) throw new RuleValidationError(describeZodError(result.error), result.error.issues);
  return result.data;
}

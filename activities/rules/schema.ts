import { z } from 'zod';
import { describeZodError } from '../../common/validation';
import { compileNetwork, compileRegex, CONDITION_OPS } from './conditions';
import { ACTION_NAMES, parseAttributePath, TRAIT_PATTERN } from './actions';
import { parseField } from './fields';

// An introspection rule as the rules API accepts it (ironic-inspector's JSON DSL):
//
//   { "uuid": "...", "description": "...", "scope": "...",
//     "conditions": [{"op": "ge", "field": "node://properties.memory_mb", "value": 4096}],
//     "actions": [{"action": "add-trait", "name": "CUSTOM_BIG_MEMORY"}] }
//
// Conditions take op, field, multiple (any|all|first, default any), invert (default
// false) and the op's parameters; actions take action and its parameters. As in
// ironic-inspector, unknown and missing parameters are errors.

/** Checks presence (not undefined; not null unless `allowNull`) before the value's own schema. */
function required<T extends z.ZodType>(name: string, schema: T, allowNull = false) {
  return z
    .custom<unknown>((v) => v !== undefined && (allowNull || v !== null), {
      message: `missing required parameter "${name}"`,
    })
    .pipe(schema);
}

/** A check that throws → an issue with the thrown message. */
function checked<T extends z.ZodType>(schema: T, check: (value: z.output<T>) => unknown) {
  return schema.superRefine((value, ctx) => {
    try {
      check(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  });
}

const FieldSchema = required('field', checked(z.string(), (f) => parseField(f)));

const conditionBase = {
  field: FieldSchema,
  multiple: z.enum(['any', 'all', 'first']).default('any'),
  invert: z.boolean().default(false),
};

const anyValue = required('value', z.json());
const orderedValue = required('value', z.union([z.number(), z.string()], { error: 'expected a number or a string' }));
const regexValue = required('value', checked(z.string(), (p) => compileRegex(p)));
const networkValue = required('value', checked(z.string(), (n) => compileNetwork(n)));

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
  ],
  {
    error: (iss) => {
      if (iss.code !== 'invalid_union') return undefined;
      const input = iss.input as { op?: unknown } | undefined;
      if (input?.op === undefined) return 'missing required parameter "op"';
      return `unknown op ${JSON.stringify(input.op)} (expected one of: ${CONDITION_OPS.join(', ')})`;
    },
  },
);

const AttributePathSchema = required('path', checked(z.string(), (p) => parseAttributePath(p)));
const TraitNameSchema = required(
  'name',
  z.string().max(255).regex(TRAIT_PATTERN, { error: 'invalid trait name: expected CUSTOM_[A-Z0-9_]+ or a standard (upper-case) trait' }),
);

export const ActionSchema = z.discriminatedUnion(
  'action',
  [
    z.strictObject({ action: z.literal('fail'), message: required('message', z.string()) }),
    z.strictObject({
      action: z.literal('set-attribute'),
      path: AttributePathSchema,
      // As ironic-inspector: the key must be present but may be null.
      value: required('value', z.json(), true),
    }),
    z.strictObject({
      action: z.literal('extend-attribute'),
      path: AttributePathSchema,
      value: required('value', z.json()),
      unique: z.boolean().default(false),
    }),
    z.strictObject({ action: z.literal('add-trait'), name: TraitNameSchema }),
    z.strictObject({ action: z.literal('remove-trait'), name: TraitNameSchema }),
    z.strictObject({
      action: z.literal('set-capability'),
      name: required(
        'name',
        z.string().regex(/^[^,:]+$/, { error: 'capability name must be non-empty without "," or ":"' }),
      ),
      // Optional as in ironic-inspector: null/absent removes the capability.
      value: z.union([z.string(), z.number(), z.boolean()]).nullish(),
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

export const RuleSchema = z.object({
  uuid: z.guid({ error: 'invalid UUID' }).optional(),
  description: z.string().nullish(),
  // Rules without conditions always apply.
  conditions: z.array(ConditionSchema).default([]),
  actions: z.array(ActionSchema).min(1, { error: 'at least one action is required' }),
  scope: z.string().nullish(),
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

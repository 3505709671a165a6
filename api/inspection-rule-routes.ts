import { readFile } from 'node:fs/promises';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { InvalidInputError } from '../common/errors';
import { parseInput } from '../common/validation';
import { MAX_RULE_BYTES, RuleValidationError } from '../activities/rules/schema';
import { attributePointer, parseInspectionRule, type InspectionRule } from '../activities/rules/ironic-schema';
import type { NodeRegistry } from '../nodes';
import type { InspectionRuleRecord } from '../nodes/inspection-rules';
import { applyJsonPatch, JsonPatchSchema } from '../nodes/json-patch';
import { isSecretKey, SECRET_MASK } from '../nodes/secrets';
import { UUID_RE } from '../nodes/schema';
import { jsonBody } from './json-body';
import { baseUrl, FieldSelectionSchema, links, nextLink, pageLimit, pickFields } from './node-bodies';
import { sinceVersion } from './node-versions';

// Ironic's /v1/inspection_rules (API 1.96): rules kept in the registry and run during
// processing (activities/rules/ironic-apply.ts). A sensitive rule never shows its conditions
// and actions; a rule's driver_info secrets (a BMC password it sets) are ******; built-in
// rules (INSPECTION_RULES_FILE) are listed but read-only.

export const INSPECTION_RULES_VERSION = '1.96';

/** The fields of a rule, and those a list shows unless asked for more (Ironic's). */
const FIELDS = ['uuid', 'description', 'priority', 'sensitive', 'phase', 'conditions', 'actions', 'built_in', 'created_at', 'updated_at'];
const LIST_FIELDS = ['uuid', 'priority', 'phase', 'description'];

export const InspectionRuleListQuerySchema = z.strictObject({
  ...FieldSelectionSchema,
  marker: z.string().regex(UUID_RE, 'must be an inspection rule uuid').optional(),
  limit: z.coerce.number().int().min(1).optional(),
  phase: z.string().max(16).optional(),
});
export const InspectionRuleShowQuerySchema = z.strictObject({ fields: FieldSelectionSchema.fields });

function fieldsOf(selection: { fields?: string[]; detail?: boolean }, list: boolean): string[] | undefined {
  if (selection.fields && selection.detail) throw new InvalidInputError('fields, detail: ask for one or the other');
  if (selection.fields) {
    const unknown = selection.fields.filter((f) => !FIELDS.includes(f));
    if (unknown.length) throw new InvalidInputError(`fields: ${unknown.map((f) => `"${f}"`).join(', ')}: not inspection rule fields (${FIELDS.join(', ')})`);
    return selection.fields;
  }
  return list && !selection.detail ? LIST_FIELDS : undefined;
}

/** The value a set-attribute action writes into a driver_info secret, masked. */
function maskAction(action: Record<string, unknown>): Record<string, unknown> {
  const args = action.args as Record<string, unknown>;
  if (action.op !== 'set-attribute' || typeof args.path !== 'string') return action;
  const [root, key] = attributePointer(args.path).split('/').slice(1);
  return root === 'driver_info' && key !== undefined && isSecretKey(key) ? { ...action, args: { ...args, value: SECRET_MASK } } : action;
}

/** A rule as Ironic answers it: `loop` (and `multiple`) only when set; sensitive: no conditions or actions. */
function ruleBody(req: Request, rule: InspectionRuleRecord) {
  const shown = (list: unknown[]) => (rule.sensitive ? null : (list as Record<string, unknown>[]));
  return {
    uuid: rule.uuid,
    description: rule.description ?? null,
    priority: rule.priority,
    sensitive: rule.sensitive,
    phase: rule.phase,
    conditions: shown(rule.conditions),
    actions: shown(rule.actions)?.map(maskAction) ?? null,
    built_in: rule.built_in,
    created_at: rule.created_at,
    updated_at: rule.updated_at,
    links: links(req, `inspection_rules/${rule.uuid}`),
  };
}

/** Validates a rule body; a 400 names each problem. */
function validRule(body: unknown): InspectionRule {
  try {
    return parseInspectionRule(body);
  } catch (err) {
    if (err instanceof RuleValidationError) throw new InvalidInputError(`Validation failed for inspection rule: ${err.message}`);
    throw err;
  }
}

/** The rule as a client would post it again: what a patch applies to. */
function editable(rule: InspectionRuleRecord) {
  const { uuid, description, priority, sensitive, phase, conditions, actions } = rule;
  return { uuid, description, priority, sensitive, phase, conditions, actions };
}

export function inspectionRuleRoutes(registry: NodeRegistry): Router {
  const router = Router();
  // Below 1.96 the routes do not exist: reads answer 404, writes 405, as Ironic's.
  router.use('/v1/inspection_rules', sinceVersion(INSPECTION_RULES_VERSION, { message: 'The API version does not allow inspection rules', writes: 405 }));
  const body = jsonBody(MAX_RULE_BYTES);

  router.post('/v1/inspection_rules', body, async (req, res) => {
    const stored = await registry.inspectionRules.create(validRule(req.body));
    res.status(201).location(`${baseUrl(req)}/v1/inspection_rules/${stored.uuid}`).json(ruleBody(req, stored));
  });
  router.get('/v1/inspection_rules', async (req, res) => {
    const { fields, detail, marker, limit, phase } = parseInput(InspectionRuleListQuerySchema, req.query);
    const shown = fieldsOf({ fields, detail }, true);
    const pageSize = pageLimit(limit);
    const page = await registry.inspectionRules.list({ marker, limit: pageSize, phase });
    res.json({ inspection_rules: page.map((r) => pickFields(ruleBody(req, r), shown)), next: nextLink(req, page, pageSize) });
  });
  router.get('/v1/inspection_rules/:uuid', async (req, res) => {
    const { fields } = parseInput(InspectionRuleShowQuerySchema, req.query);
    res.json(pickFields(ruleBody(req, await registry.inspectionRules.get(req.params.uuid)), fieldsOf({ fields }, false)));
  });
  router.patch('/v1/inspection_rules/:uuid', body, async (req, res) => {
    const patch = parseInput(JsonPatchSchema, req.body);
    const current = await registry.inspectionRules.get(String(req.params.uuid));
    const next = applyJsonPatch(editable(current), patch);
    if (next.uuid !== current.uuid) throw new InvalidInputError('uuid: an inspection rule keeps its uuid');
    if (current.sensitive && next.sensitive !== true) throw new InvalidInputError('Inspection rules cannot have the sensitive flag unset.');
    res.json(ruleBody(req, await registry.inspectionRules.update(current.uuid, validRule(next))));
  });
  router.delete('/v1/inspection_rules/:uuid', async (req, res) => {
    await registry.inspectionRules.delete(req.params.uuid);
    res.status(204).end();
  });
  return router;
}

/** Ironic's uuid for the n-th built-in rule given without one. */
const syntheticUuid = (n: number) => `00000000-0000-0000-0000-${n.toString(16).padStart(12, '0')}`;

/**
 * Makes the registry's built-in rules those of `file` (a JSON list of rules; none without a
 * file). A file that cannot be read or holds an invalid rule stops the API from starting.
 */
export async function loadBuiltInRules(registry: NodeRegistry, file: string | undefined): Promise<void> {
  let list: unknown = [];
  if (file) {
    try {
      list = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      throw new Error(`INSPECTION_RULES_FILE ${file}: ${(err as Error).message}`);
    }
    if (!Array.isArray(list)) throw new Error(`INSPECTION_RULES_FILE ${file} should contain a list of rules`);
  }
  let synthetic = 0;
  const rules = (list as unknown[]).map((entry, i) => {
    try {
      const rule = parseInspectionRule(entry, true);
      return { ...rule, uuid: rule.uuid ?? syntheticUuid(synthetic++) };
    } catch (err) {
      throw new Error(`INSPECTION_RULES_FILE ${file}: rule ${i}: ${(err as Error).message}`);
    }
  });
  await registry.inspectionRules.replaceBuiltIn(rules);
}

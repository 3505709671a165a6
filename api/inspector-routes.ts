import { randomUUID } from 'node:crypto';
import { Router, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Config } from '../common/config';
import type { NodeRegistry } from '../nodes';
import { maskRuleSecrets } from '../activities/rules/actions';
import { MAX_RULE_BYTES, MAX_RULES, parseRule } from '../activities/rules/schema';
import { ConflictError, InvalidInputError } from '../common/errors';
import { DEFAULT_JSON_LIMITS } from '../common/json-shape';
import { requireAdmin } from './auth/middleware';
import { bootRoutes } from './boot';
import type { BootPhaseReports } from './boot-phases';
import { TOKEN_HEADER, type Callbacks } from './callbacks';
import { jsonBody } from './json-body';
import { formatVersion, NotAcceptableError, requestedVersion, VersionRange } from './microversions';
import { BULK_BODY_LIMIT, BULK_JSON_LIMITS, BulkRequestSchema, type Bulks } from './bulks';
import type { Introspections } from './introspections';
import { parseInput } from '../common/validation';
import { UUID_RE } from '../nodes/schema';
import { INTROSPECTION_STATES, NODE_OUTCOME_STATES } from '../workflows/definitions';

/** ironic-inspector's paging: at most this many items a page (its api_max_limit), and 0 or none means as many. */
const MAX_LIMIT = 1000;
const limit = z.coerce
  .number()
  .int()
  .min(0)
  .max(MAX_LIMIT)
  .optional()
  .transform((n) => n || MAX_LIMIT);
/** One state or several, comma-separated. */
const states = <T extends readonly [string, ...string[]]>(allowed: T) =>
  z
    .string()
    .max(200)
    .transform((s) => s.split(','))
    .pipe(z.array(z.enum(allowed)).min(1))
    .optional();
const uuid = (what: string) => z.string().regex(UUID_RE, `must be ${what} (a uuid)`);

/** A boolean as ironic-inspector reads one from a query (oslo's strict bool_from_string). */
const TRUE_WORDS = ['1', 't', 'true', 'on', 'y', 'yes'];
const queryBoolean = z
  .string()
  .max(5)
  .transform((v) => v.toLowerCase())
  .pipe(z.enum([...TRUE_WORDS, '0', 'f', 'false', 'off', 'n', 'no'], { message: 'must be true or false' }))
  .transform((v) => TRUE_WORDS.includes(v));

export const StartQuerySchema = z.strictObject({
  /** false: no BMC command at all, the run waits for the agent of a server booted by someone else. */
  manage_boot: queryBoolean.optional(),
});

export const ListQuerySchema = z.strictObject({
  /** The uuid of the last node of the previous page. */
  marker: uuid('a node uuid').optional(),
  limit,
  state: states(INTROSPECTION_STATES),
  /** Only nodes whose latest introspection this bulk run started. */
  bulk: uuid('a bulk id').optional(),
});

export const BulkStatusQuerySchema = z.strictObject({
  /** The uuid (for a name that matched no node: the name) of the last node of the previous page. */
  marker: z.string().min(1).max(255).optional(),
  limit,
  state: states(NODE_OUTCOME_STATES),
});

export const BulkListQuerySchema = z.strictObject({
  /** The id of the last bulk of the previous page. */
  marker: uuid('a bulk id').optional(),
  limit,
});

/** An id of a node's introspection history: 1, 2, 3... */
export const HistoryIdSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,8}$/, "must be the id of an introspection in the node's history (1, 2, 3...)")
  .transform(Number);

export const HistoryQuerySchema = z.strictObject({
  /** The id of the last entry of the previous page. */
  marker: HistoryIdSchema.optional(),
  limit,
});

export const DiffQuerySchema = z.strictObject({
  /** Default: the introspection before `to`. */
  from: HistoryIdSchema.optional(),
  /** Default: the latest. */
  to: HistoryIdSchema.optional(),
});

const MIN_VERSION = '1.0';
const MAX_VERSION = '1.18';
const VERSIONS = new VersionRange(MIN_VERSION, MAX_VERSION);
const VERSION_HEADER = 'X-OpenStack-Ironic-Inspector-API-Version';
/** The service name in the standard `OpenStack-API-Version` header. */
const SERVICE = 'baremetal-introspection';

/** The version a request asks for, as ironic-inspector reads it: 400 when malformed, 406 outside the range. */
function inspectorVersion(req: Request): string {
  const requested = requestedVersion(req, VERSION_HEADER, SERVICE);
  if (requested === undefined) return MIN_VERSION;
  const resolved = VERSIONS.resolve(requested);
  if ('malformed' in resolved) throw new InvalidInputError('Malformed API version: expected string in form of X.Y or latest');
  if ('unsupported' in resolved) {
    throw new NotAcceptableError(`Unsupported API version ${formatVersion(resolved.unsupported)}, supported range is ${MIN_VERSION} to ${MAX_VERSION}`);
  }
  return formatVersion(resolved.version);
}

const baseUrl = (req: Request) => `${req.protocol}://${req.get('host')}`;
const ruleLinks = (req: Request, uuid: string) => [{ href: `${baseUrl(req)}/v1/rules/${uuid}`, rel: 'self' }];

/** ironic-inspector's version headers on every answer, and its version documents (anonymous, as clients discover versions without credentials). */
export function inspectorVersions(): Router {
  const router = Router();
  router.use((req, res, next) => {
    res.set('X-OpenStack-Ironic-Inspector-API-Minimum-Version', MIN_VERSION);
    res.set('X-OpenStack-Ironic-Inspector-API-Maximum-Version', MAX_VERSION);
    res.vary(VERSION_HEADER).vary('OpenStack-API-Version');
    const version = inspectorVersion(req);
    res.set(VERSION_HEADER, version);
    res.set('OpenStack-API-Version', `${SERVICE} ${version}`);
    next();
  });

  const versionDoc = (req: Request) => ({
    id: MAX_VERSION,
    status: 'CURRENT',
    links: [{ href: `${baseUrl(req)}/v1`, rel: 'self' }],
  });
  router.get('/', (req, res) => {
    res.json({ versions: [versionDoc(req)] });
  });
  router.get('/v1', (req, res) => {
    res.json({ resources: [{ name: 'introspection' }, { name: 'continue' }, { name: 'rules' }], version: versionDoc(req) });
  });
  return router;
}

/** An agent's post: only its logs may be a long string. */
export const AGENT_POST_LIMITS = { ...DEFAULT_JSON_LIMITS, longStrings: ['logs'] };

/** The agent's side: its callback and the boot scripts that bring it up. The only anonymous writes. */
export function callbackRoutes(config: Config, callbacks: Callbacks, registry: NodeRegistry, phases: BootPhaseReports): Router {
  const router = Router();
  router.use(bootRoutes(config, registry, phases));
  router.post('/v1/continue', jsonBody(config.CONTINUE_BODY_LIMIT, AGENT_POST_LIMITS), async (req, res) => {
    res.json(await callbacks.receive(req.body, req.get(TOKEN_HEADER)));
  });
  // The agent says it is up, before it collects; its run token alone says whose (no body).
  router.post('/v1/continue/started', async (req, res) => {
    res.status(202).json(await phases.agentStarted(req.get(TOKEN_HEADER)));
  });
  return router;
}

/** ironic-inspector's v1 REST API, so `openstack baremetal introspection ...` works against it. */
export function inspectorRoutes(introspections: Introspections, bulks: Bulks, registry: NodeRegistry): Router {
  const router = Router();

  // Bulk routes come first: `bulk` must not be taken for a node name.
  router.post('/v1/introspection', jsonBody(BULK_BODY_LIMIT, BULK_JSON_LIMITS), async (req, res) => {
    const bulkId = await bulks.start(parseInput(BulkRequestSchema, req.body));
    res.status(202).json({ bulk_id: bulkId, links: [{ href: `${baseUrl(req)}/v1/introspection/bulk/${bulkId}`, rel: 'self' }] });
  });
  router.get('/v1/introspection/bulk', async (req, res) => {
    res.json({ bulks: await bulks.list(parseInput(BulkListQuerySchema, req.query)) });
  });
  router.get('/v1/introspection/bulk/:id', async (req, res) => {
    const query = parseInput(BulkStatusQuerySchema, req.query);
    res.json(await bulks.status(req.params.id, { ...query, states: query.state }));
  });
  router.post('/v1/introspection/bulk/:id/abort', async (req, res) => {
    await bulks.abort(req.params.id);
    res.status(202).end();
  });

  router.post('/v1/introspection/:node', async (req, res) => {
    const query = parseInput(StartQuerySchema, req.query);
    await introspections.start(req.params.node, { manageBoot: query.manage_boot ?? true });
    res.status(202).end();
  });
  router.get('/v1/introspection', async (req, res) => {
    const query = parseInput(ListQuerySchema, req.query);
    res.json({ introspection: await introspections.list(baseUrl(req), { marker: query.marker, limit: query.limit, states: query.state, bulkId: query.bulk }) });
  });
  router.get('/v1/introspection/:node', async (req, res) => {
    res.json(await introspections.status(req.params.node, baseUrl(req)));
  });
  router.post('/v1/introspection/:node/abort', async (req, res) => {
    await introspections.abort(req.params.node);
    res.status(202).end();
  });
  router.get('/v1/introspection/:node/data', async (req, res) => {
    res.json(await introspections.data(req.params.node, true));
  });
  // API 1.15: a JSON object in the body is the data to process (and keep); no body, or {}, the stored data.
  let reapplyBody: RequestHandler | undefined;
  const reapplyData: RequestHandler = (req, res, next) => (reapplyBody ??= jsonBody(introspections.config.CONTINUE_BODY_LIMIT, AGENT_POST_LIMITS))(req, res, next);
  router.post('/v1/introspection/:node/data/unprocessed', reapplyData, async (req, res) => {
    const body: unknown = req.body;
    if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
      throw new InvalidInputError(`Invalid data: expected a JSON object, got ${Array.isArray(body) ? 'a list' : typeof body}`);
    }
    await introspections.reapply(String(req.params.node), body && Object.keys(body).length > 0 ? (body as Record<string, unknown>) : undefined);
    res.status(202).end();
  });
  router.get('/v1/introspection/:node/data/unprocessed', async (req, res) => {
    res.json(await introspections.data(req.params.node, false));
  });
  router.get('/v1/introspection/:node/history', async (req, res) => {
    res.json({ history: await introspections.history(req.params.node, baseUrl(req), parseInput(HistoryQuerySchema, req.query)) });
  });
  router.get('/v1/introspection/:node/history/:id', async (req, res) => {
    res.json(await introspections.historyData(req.params.node, parseInput(HistoryIdSchema, req.params.id, 'id'), true));
  });
  router.get('/v1/introspection/:node/history/:id/unprocessed', async (req, res) => {
    res.json(await introspections.historyData(req.params.node, parseInput(HistoryIdSchema, req.params.id, 'id'), false));
  });
  router.get('/v1/introspection/:node/diff', async (req, res) => {
    res.json(await introspections.diff(req.params.node, baseUrl(req), parseInput(DiffQuerySchema, req.query)));
  });
  router.get('/v1/introspection/:node/logs', requireAdmin, async (req, res) => {
    res.type('application/gzip').send(await introspections.logs(req.params.node));
  });

  router.post('/v1/rules', jsonBody(MAX_RULE_BYTES), async (req, res) => {
    const rule = parseRuleOr400(req.body);
    if ((await registry.listRules()).length >= MAX_RULES) throw new ConflictError(`there are ${MAX_RULES} rules already, the most that may be stored`);
    const uuid = rule.uuid ?? randomUUID();
    const stored = await registry.createRule(uuid, rule.description ?? null, { ...rule, uuid });
    res.status(201).json({ ...maskRuleSecrets(stored.body), links: ruleLinks(req, uuid) });
  });
  router.get('/v1/rules', async (req, res) => {
    const rules = await registry.listRules();
    res.json({
      rules: rules.map((r) => ({ uuid: r.uuid, description: r.description, links: ruleLinks(req, r.uuid) })),
    });
  });
  router.get('/v1/rules/:uuid', async (req, res) => {
    const rule = await registry.getRuleOrThrow(req.params.uuid);
    res.json({ ...maskRuleSecrets(rule.body), links: ruleLinks(req, rule.uuid) });
  });
  router.delete('/v1/rules/:uuid', async (req, res) => {
    await registry.deleteRule(req.params.uuid);
    res.status(204).end();
  });
  router.delete('/v1/rules', async (_req, res) => {
    await registry.deleteAllRules();
    res.status(204).end();
  });

  return router;
}

function parseRuleOr400(body: unknown) {
  try {
    return parseRule(body);
  } catch (err) {
    throw new InvalidInputError(err instanceof Error ? err.message : String(err));
  }
}

import { Router } from 'express';
import { z } from 'zod';
import { InvalidInputError } from '../common/errors';
import { ExprEvalError } from '../common/expr/evaluate';
import { MAX_EXPR_LENGTH, parseExpr } from '../common/expr/parse';
import { ExprSyntaxError } from '../common/expr/tokens';
import { parseInput } from '../common/validation';
import type { NodeRegistry } from '../nodes';
import { MAX_QUERY_LIMIT } from '../nodes/fleet';
import { UUID_RE } from '../nodes/schema';

// Fleet queries on the inspector API: `GET /v1/fleet/query?expr=memory_mb < 262144` answers the
// nodes whose latest processed data the expression holds on (common/expr, nodes/fleet.ts).

export const FleetQuerySchema = z.strictObject({
  expr: z.string().max(MAX_EXPR_LENGTH, { error: `longer than ${MAX_EXPR_LENGTH} characters` }),
  limit: z.coerce.number().int().min(1).max(MAX_QUERY_LIMIT).optional(),
  marker: z.string().regex(UUID_RE, 'must be a node uuid (the `next` of the previous page)').optional(),
});

export function fleetRoutes(registry: NodeRegistry): Router {
  const router = Router();
  router.get('/v1/fleet/query', async (req, res) => {
    const query = parseInput(FleetQuerySchema, req.query);
    try {
      res.json(await registry.fleet.query(parseExpr(query.expr), query));
    } catch (err) {
      if (err instanceof ExprSyntaxError || err instanceof ExprEvalError) throw new InvalidInputError(`expr: ${err.message}`);
      throw err;
    }
  });
  return router;
}

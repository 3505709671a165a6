import { Router } from 'express';
import { z } from 'zod';
import type { NodeRegistry } from '../nodes';
import { UUID_RE } from '../nodes/schema';
import { parseInput } from '../common/validation';

const ParamsSchema = z.object({ id: z.string().regex(UUID_RE, 'must be a bulk id (a uuid)') });

/** A bulk run's acceptance report per rack: `GET /v1/introspection/bulk/<id>/report`. */
export function acceptanceReportRoutes(registry: NodeRegistry): Router {
  const router = Router();
  router.get('/v1/introspection/bulk/:id/report', async (req, res) => {
    const { id } = parseInput(ParamsSchema, req.params);
    res.json(await registry.acceptance.report(id));
  });
  return router;
}

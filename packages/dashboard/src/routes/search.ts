import { Router } from 'express';
import { redact, z } from '@lanes/contracts';
import { badRequest } from '../errors.ts';
import type { SearchFunction } from '../options.ts';
import { fieldIssues } from './jobs.ts';

const searchQuerySchema = z.object({
  q: z.string({ error: 'is required' }).trim().min(1, 'must be a non-empty query').max(8000),
  k: z.coerce.number().int().min(1).max(100).default(10),
});

/** `GET /api/search?q=&k=` -> the `search` shape of CONTRACT.md. */
export function searchRoutes(search: SearchFunction): Router {
  const router = Router();
  router.get('/api/search', async (req, res) => {
    const parsed = searchQuerySchema.safeParse(req.query);
    if (!parsed.success) throw badRequest('invalid search query', fieldIssues(parsed.error, '(query)'));
    const response = await search(parsed.data.q, parsed.data.k);
    res.set('cache-control', 'no-store').json({ query: response.query, results: response.results.map((hit) => ({ ...hit, text: redact(hit.text) })) });
  });
  return router;
}

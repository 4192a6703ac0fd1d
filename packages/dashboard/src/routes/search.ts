import { Router } from 'express';
import {
  MAX_SEARCH_K,
  MAX_SEARCH_QUERY_CHARS,
  redact,
  searchFilter,
  searchMode,
  tenantId,
  z,
  definedOnly,
} from '@lanes/contracts';
import { badRequest } from '../errors.ts';
import type { SearchFunction } from '../options.ts';
import { fieldIssues } from './jobs.ts';

/** `filter` is a JSON object that document metadata must contain. */
const metadataFilter = z.string().transform((text, ctx) => {
  try {
    return searchFilter.shape.metadata.unwrap().parse(JSON.parse(text));
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON object, e.g. {"lang":"en"}' });
    return z.NEVER;
  }
});

const searchQuerySchema = z.object({
  q: z.string({ error: 'is required' }).trim().min(1, 'must be a non-empty query').max(MAX_SEARCH_QUERY_CHARS),
  k: z.coerce.number().int().min(1).max(MAX_SEARCH_K).default(10),
  mode: searchMode.default('hybrid'),
  filter: metadataFilter.optional(),
  source: searchFilter.shape.sourcePrefix,
  tenant: tenantId.optional(),
});

/** `GET /api/search?q=&k=&mode=&filter=&source=&tenant=` -> the `search` shape of CONTRACT.md (without `tenant`: documents of no tenant). */
export function searchRoutes(search: SearchFunction): Router {
  const router = Router();
  router.get('/api/search', async (req, res) => {
    const parsed = searchQuerySchema.safeParse(req.query);
    if (!parsed.success) throw badRequest('invalid search query', fieldIssues(parsed.error, '(query)'));
    const { q, k, mode, filter: metadata, source: sourcePrefix, tenant } = parsed.data;
    const filter =
      metadata === undefined && sourcePrefix === undefined ? undefined : definedOnly({ metadata, sourcePrefix });
    const response = await search({ query: q, k, mode, ...definedOnly({ filter, tenant }) });
    res
      .set('cache-control', 'no-store')
      .json({ query: response.query, results: response.results.map((hit) => ({ ...hit, text: redact(hit.text) })) });
  });
  return router;
}

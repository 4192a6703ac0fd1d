import { Router } from 'express';
import { HttpError } from '../errors.ts';
import type { EmbeddingMigrationSource } from '../options.ts';

/** `GET /api/embedding-migration`: the live and kept embedding spaces and the latest migration's progress. */
export function embeddingMigrationRoutes(source: EmbeddingMigrationSource | undefined): Router {
  const router = Router();
  router.get('/api/embedding-migration', async (_req, res) => {
    if (source === undefined)
      throw new HttpError(501, 'this dashboard has no document store (run it with the built-in tasks)', {
        code: 'NOT_IMPLEMENTED',
      });
    res.set('cache-control', 'no-store').json(await source.status());
  });
  return router;
}

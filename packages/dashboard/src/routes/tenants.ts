import { Router } from 'express';
import type { LanesClient } from '@lanes/client';
import { withTimeout } from '../lane-redis.ts';
import type { DocumentsBackend } from '../options.ts';
import { readTenants } from '../tenants.ts';

export interface TenantRoutesOptions {
  readonly client: LanesClient;
  readonly documents: DocumentsBackend | undefined;
  readonly storeTimeoutMs: number;
}

/** `GET /api/tenants` -> `{ "tenants": [{ "tenant", "documents", "chunks", "held": { lane: n }, "jobs": { "completed", "failed" } }], "corpus" }`. */
export function tenantRoutes(options: TenantRoutesOptions): Router {
  const router = Router();
  router.get('/api/tenants', async (_req, res) => {
    const { documents } = options;
    const view = await withTimeout(
      readTenants(options.client, documents === undefined ? undefined : () => documents.tenants()),
      options.storeTimeoutMs,
      'redis',
    );
    res.set('cache-control', 'no-store').json(view);
  });
  return router;
}

import { Router, type Request, type Response } from 'express';
import type { LanesClient } from '@lanes/client';
import type { LanesMetrics } from '@lanes/worker-core';
import { withTimeout } from '../lane-redis.ts';
import { readOverview } from '../overview.ts';
import { renderOverviewPage } from '../page.ts';

export interface OverviewRoutesOptions {
  readonly client: LanesClient;
  readonly metrics: LanesMetrics;
  readonly tasks: readonly string[];
  readonly storeTimeoutMs: number;
}

/** `GET /api/overview` (JSON) and the page at `/` and `/overview` that renders it. */
export function overviewRoutes(options: OverviewRoutesOptions): Router {
  const router = Router();
  router.get('/api/overview', async (_req, res) => {
    res.set('cache-control', 'no-store').json(await withTimeout(readOverview(options.client, options.metrics), options.storeTimeoutMs, 'redis'));
  });
  const page = (_req: Request, res: Response): void => {
    const { html, nonce } = renderOverviewPage({ tasks: options.tasks, prefix: options.client.prefix });
    res
      .set('content-security-policy', `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`)
      .set('cache-control', 'no-store')
      .type('html')
      .send(html);
  };
  router.get('/', page);
  router.get('/overview', page);
  return router;
}

import { Router, type Request, type Response } from 'express';
import { z } from '@lanes/contracts';
import type { LanesClient } from '@lanes/client';
import type { LanesMetrics } from '@lanes/worker-core';
import { withTimeout } from '../lane-redis.ts';
import { readOverview } from '../overview.ts';
import { renderOverviewPage } from '../page.ts';
import { readSeries, sampleBacklog, SERIES_RANGES, type SeriesRange, type UsageSource } from '../series.ts';
import { badRequest } from '../errors.ts';
import { fieldIssues } from './jobs.ts';

export interface OverviewRoutesOptions {
  readonly client: LanesClient;
  readonly metrics: LanesMetrics;
  readonly tasks: readonly string[];
  readonly storeTimeoutMs: number;
  readonly usage: UsageSource | undefined;
  /** Hides the corpus view's delete buttons (the API refuses deletion too). */
  readonly readOnly: boolean;
  /** Shows the embedding space panel (the dashboard was given a migration source). */
  readonly embeddingSpaces: boolean;
}

const seriesQuerySchema = z
  .object({ range: z.enum(Object.keys(SERIES_RANGES) as [SeriesRange, ...SeriesRange[]]).default('hour') })
  .strict();

/** `GET /api/overview` (JSON) and the page at `/` and `/overview` that renders it. */
export function overviewRoutes(options: OverviewRoutesOptions): Router {
  const router = Router();
  router.get('/api/overview', async (_req, res) => {
    res
      .set('cache-control', 'no-store')
      .json(await withTimeout(readOverview(options.client, options.metrics), options.storeTimeoutMs, 'redis'));
  });
  router.get('/api/overview/series', async (req, res) => {
    const parsed = seriesQuerySchema.safeParse(req.query);
    if (!parsed.success) throw badRequest('invalid query', fieldIssues(parsed.error, '(query)'));
    const series = withTimeout(
      (async () => {
        await sampleBacklog(options.client);
        return readSeries(options.client, parsed.data.range, options.usage);
      })(),
      options.storeTimeoutMs,
      'redis',
    );
    res.set('cache-control', 'no-store').json(await series);
  });
  const page = (_req: Request, res: Response): void => {
    const html = renderOverviewPage({
      tasks: options.tasks,
      prefix: options.client.prefix,
      readOnly: options.readOnly,
      embeddingSpaces: options.embeddingSpaces,
    });
    res
      .set(
        'content-security-policy',
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
      )
      .set('cache-control', 'no-store')
      .type('html')
      .send(html);
  };
  router.get('/', page);
  router.get('/overview', page);
  return router;
}

import { Router } from 'express';
import { asDependencyError, LANES, redactString } from '@lanes/contracts';
import type { LanesClient } from '@lanes/client';
import { readAllLaneDepths, type LanesMetrics, type Logger } from '@lanes/worker-core';
import { redisOf, withTimeout } from '../lane-redis.ts';
import type { ReadinessCheck } from '../options.ts';

export interface ProbeRoutesOptions {
  readonly client: LanesClient;
  readonly metrics: LanesMetrics;
  readonly logger: Logger;
  readonly readinessChecks: readonly ReadinessCheck[];
  readonly readinessTimeoutMs: number;
}

/** Sets the lane depth gauges from Redis, so every scrape reports the backlog as it is now. */
export async function refreshLaneGauges(client: LanesClient, metrics: LanesMetrics): Promise<void> {
  const depths = await readAllLaneDepths((lane) => client.queues.get(lane));
  for (const depth of depths) {
    for (const [state, count] of Object.entries(depth.counts))
      metrics.laneDepth.set({ lane: depth.lane, state }, count);
    metrics.laneBacklog.set({ lane: depth.lane }, depth.backlog);
  }
}

/** `/healthz` (the process answers), `/readyz` (Redis and injected checks), `/metrics`. */
export function probeRoutes(options: ProbeRoutesOptions): Router {
  const { client, metrics, logger, readinessTimeoutMs } = options;
  const router = Router();
  const redisCheck: ReadinessCheck = {
    name: 'redis',
    check: async () => {
      try {
        return await (await redisOf(client.queues.get(LANES[0]))).ping();
      } catch (error) {
        throw asDependencyError(error, 'redis', { url: client.redisUrl });
      }
    },
  };
  const checks = [redisCheck, ...options.readinessChecks];

  router.get('/healthz', (_req, res) => {
    res.set('cache-control', 'no-store').json({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
  });

  router.get('/readyz', async (_req, res) => {
    const results: Record<string, string> = {};
    let ok = true;
    await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          await withTimeout(check(), readinessTimeoutMs, name);
          results[name] = 'ok';
        } catch (error) {
          ok = false;
          // Connection errors can quote URLs; the probe is unauthenticated, so mask credentials.
          results[name] = redactString(error instanceof Error ? error.message : String(error));
        }
      }),
    );
    res
      .status(ok ? 200 : 503)
      .set('cache-control', 'no-store')
      .json({ status: ok ? 'ok' : 'unavailable', checks: results });
  });

  router.get('/metrics', async (_req, res) => {
    try {
      await withTimeout(refreshLaneGauges(client, metrics), readinessTimeoutMs, 'redis');
    } catch (error) {
      // Still serve the rest: a scrape that fails outright hides every other family too.
      logger.warn(
        { err: { message: redactString(error instanceof Error ? error.message : String(error)) } },
        'lane depth refresh failed',
      );
    }
    res
      .set('content-type', metrics.registry.contentType)
      .set('cache-control', 'no-store')
      .send(await metrics.registry.metrics());
  });

  return router;
}

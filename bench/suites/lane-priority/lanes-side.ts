import { z } from '@lanes/contracts';
import { LanesClient } from '@lanes/client';
import { defineTask, LanesMetrics, LanesWorker, loadRuntimeConfig } from '@lanes/worker-core';
import { bullPrefix } from '../../lib/ids.ts';
import { deleteKeysByPrefix } from '../../lib/redis-keys.ts';
import { chunks } from '../overhead/side.ts';
import { PriorityRecorder, sleep } from './recorder.ts';
import { lowDurations, type PrioritySide } from './side.ts';

let recorder = new PriorityRecorder(0);

const benchLow = defineTask({
  name: 'bench-low',
  lane: 'low',
  schema: z.object({ ms: z.number().int().min(0) }),
  handler: async ({ ms }) => {
    recorder.lowStart();
    await sleep(ms);
    return null;
  },
});

const benchCritical = defineTask({
  name: 'bench-critical',
  lane: 'critical',
  schema: z.object({ index: z.number().int(), sentAt: z.number() }),
  handler: async ({ index, sentAt }) => {
    recorder.criticalStart(index, sentAt);
    return null;
  },
});

const metrics = new LanesMetrics();

/**
 * Lanes: low work in the `low` lane, critical work in the `critical` lane, one worker process
 * serving both with the same total concurrency as the baseline, a few slots kept for critical.
 * With `tenants`, the low jobs belong to that many tenants in turn (fair share in the low lane).
 */
export function lanesSide(redisUrl: string, prefix: string, tenants = 0): PrioritySide {
  const client = new LanesClient({ redisUrl, prefix });
  return {
    name: tenants > 0 ? `Lanes, low jobs of ${tenants} tenants` : 'Lanes',
    async fill(sizes) {
      const items = lowDurations(sizes).map((ms, i) => ({ payload: { ms }, ...(tenants > 0 && { options: { tenant: `tenant-${i % tenants}` } }) }));
      for (const batch of chunks(items, sizes.chunk)) await client.enqueueBulk(benchLow, batch);
    },
    async measure(sizes) {
      recorder = new PriorityRecorder(sizes.criticals);
      const config = loadRuntimeConfig({ REDIS_URL: redisUrl, LANES_PREFIX: prefix, LOG_LEVEL: 'warn' });
      const worker = new LanesWorker({
        config,
        tasks: [benchLow, benchCritical],
        lanes: ['critical', 'low'],
        concurrency: { critical: sizes.criticalSlots, low: sizes.concurrency - sizes.criticalSlots },
        metrics,
      });
      await worker.start();
      try {
        return await recorder.drive(sizes, (index, sentAt) => client.enqueue(benchCritical, { index, sentAt }));
      } finally {
        await worker.close(5000);
      }
    },
    async dispose() {
      await client.close();
      await deleteKeysByPrefix(redisUrl, bullPrefix(prefix));
    },
  };
}

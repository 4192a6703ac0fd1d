import { z } from '@lanes/contracts';
import { LanesClient } from '@lanes/client';
import { defineTask, LanesMetrics, LanesWorker, loadRuntimeConfig } from '@lanes/worker-core';
import { deleteKeysByPrefix } from '../../lib/redis-keys.ts';
import { bullPrefix } from '../../lib/ids.ts';
import { Tally } from '../../lib/tally.ts';
import { withDeadline } from '../../lib/time.ts';
import { chunks, payloads, timeBulk, type OverheadSide, type SideFactoryOptions } from './side.ts';

let tally = new Tally(0);

/** The no-op task: validated payload, full runtime path (gates, deadline, metrics), no work. */
export const benchNoop = defineTask({
  name: 'bench-noop',
  lane: 'default',
  schema: z.object({ i: z.number().int() }),
  handler: async () => {
    tally.hit();
    return null;
  },
});

// One registry for every Lanes run in this process, as a real worker process has.
const metrics = new LanesMetrics();

/** Lanes: LanesClient.enqueueBulk, and a LanesWorker serving the default lane. */
export function lanesSide(options: SideFactoryOptions): OverheadSide {
  const client = new LanesClient({ redisUrl: options.redisUrl, prefix: options.prefix });
  return {
    name: 'Lanes',
    async enqueue(count, chunk) {
      const batches = chunks(
        payloads(count).map((payload) => ({ payload })),
        chunk,
      );
      await client.queues.get('default').waitUntilReady();
      return timeBulk(count, async () => {
        for (const batch of batches) await client.enqueueBulk(benchNoop, batch);
      });
    },
    async process(count, concurrency, deadlineMs) {
      tally = new Tally(count);
      const config = loadRuntimeConfig({
        REDIS_URL: options.redisUrl,
        LANES_PREFIX: options.prefix,
        LOG_LEVEL: 'warn',
      });
      const worker = new LanesWorker({ config, tasks: [benchNoop], lanes: ['default'], concurrency, metrics });
      await worker.start();
      try {
        await withDeadline(tally.done, deadlineMs, 'Lanes processing');
      } finally {
        await worker.close(5000);
      }
      return { perSecond: tally.perSecond, cpuMicrosPerJob: tally.cpuMicrosPerJob };
    },
    async dispose() {
      await client.close();
      await deleteKeysByPrefix(options.redisUrl, bullPrefix(options.prefix));
    },
  };
}

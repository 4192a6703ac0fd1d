import BeeQueue from 'bee-queue';
import { deleteKeysByPrefix } from '../../lib/redis-keys.ts';
import { Tally } from '../../lib/tally.ts';
import { withDeadline } from '../../lib/time.ts';
import { chunks, payloads, timeBulk, type OverheadSide, type SideFactoryOptions } from './side.ts';

/**
 * bee-queue 2 (a smaller, faster-by-design Redis queue) in its lean configuration: jobs removed
 * on success, no job objects kept in the producer, no event subscription.
 */
export function beeSide(options: SideFactoryOptions): OverheadSide {
  const settings = {
    prefix: options.prefix,
    redis: { url: options.redisUrl },
    removeOnSuccess: true,
    removeOnFailure: false,
  };
  const producer = new BeeQueue<{ i: number }>('default', {
    ...settings,
    isWorker: false,
    getEvents: false,
    storeJobs: false,
  });
  return {
    name: 'bee-queue',
    async enqueue(count, chunk) {
      await producer.ready();
      const batches = chunks(payloads(count), chunk);
      return timeBulk(count, async () => {
        for (const batch of batches) {
          const failures = await producer.saveAll(batch.map((data) => producer.createJob(data)));
          if (failures.size > 0) throw new Error(`bee-queue: ${failures.size} jobs failed to save`);
        }
      });
    },
    async process(count, concurrency, deadlineMs) {
      const tally = new Tally(count);
      const worker = new BeeQueue<{ i: number }>('default', { ...settings, isWorker: true, getEvents: false });
      worker.process(concurrency, async () => {
        tally.hit();
        return null;
      });
      try {
        await withDeadline(tally.done, deadlineMs, 'bee-queue processing');
      } finally {
        await worker.close(5000);
      }
      return { perSecond: tally.perSecond, cpuMicrosPerJob: tally.cpuMicrosPerJob };
    },
    async dispose() {
      await producer.close(1000);
      await deleteKeysByPrefix(options.redisUrl, `${options.prefix}:`);
    },
  };
}

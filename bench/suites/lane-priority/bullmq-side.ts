import { Queue, Worker, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { DEFAULT_REMOVE_ON_COMPLETE, DEFAULT_REMOVE_ON_FAIL } from '@lanes/queue';
import { bullPrefix } from '../../lib/ids.ts';
import { deleteKeysByPrefix } from '../../lib/redis-keys.ts';
import { chunks } from '../overhead/side.ts';
import { PriorityRecorder, sleep } from './recorder.ts';
import { lowDurations, type PrioritySide } from './side.ts';

/**
 * Raw BullMQ with everything in one queue and one Worker at the full concurrency. `priority`:
 * critical jobs get priority 1 and low jobs priority 10 (BullMQ takes jobs without a priority
 * before any prioritized one, so low jobs need one for priority to mean anything); `fifo`: no
 * priorities at all.
 */
export function bullmqSide(redisUrl: string, prefix: string, mode: 'priority' | 'fifo'): PrioritySide {
  const keyPrefix = bullPrefix(prefix);
  const producer = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  const queue = new Queue('all', { connection: producer, prefix: keyPrefix });
  const retention: JobsOptions = { removeOnComplete: DEFAULT_REMOVE_ON_COMPLETE, removeOnFail: DEFAULT_REMOVE_ON_FAIL };
  const lowOpts: JobsOptions = mode === 'priority' ? { ...retention, priority: 10 } : retention;
  const criticalOpts: JobsOptions = mode === 'priority' ? { ...retention, priority: 1 } : retention;
  return {
    name: mode === 'priority' ? 'BullMQ, one queue, priorities' : 'BullMQ, one queue, FIFO',
    async fill(sizes) {
      const items = lowDurations(sizes).map((ms) => ({ name: 'low', data: { ms }, opts: lowOpts }));
      for (const batch of chunks(items, sizes.chunk)) await queue.addBulk(batch);
    },
    async measure(sizes) {
      const recorder = new PriorityRecorder(sizes.criticals);
      const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
      const worker = new Worker(
        'all',
        async (job) => {
          if (job.name === 'critical') {
            const data = job.data as { index: number; sentAt: number };
            recorder.criticalStart(data.index, data.sentAt);
            return null;
          }
          recorder.lowStart();
          await sleep((job.data as { ms: number }).ms);
          return null;
        },
        { connection, prefix: keyPrefix, concurrency: sizes.concurrency },
      );
      try {
        await worker.waitUntilReady();
        return await recorder.drive(sizes, (index, sentAt) => queue.add('critical', { index, sentAt }, criticalOpts));
      } finally {
        await worker.close(true);
        connection.disconnect();
      }
    },
    async dispose() {
      await queue.close();
      producer.disconnect();
      await deleteKeysByPrefix(redisUrl, keyPrefix);
    },
  };
}

import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { DEFAULT_REMOVE_ON_COMPLETE, DEFAULT_REMOVE_ON_FAIL } from '@lanes/client';
import { deleteKeysByPrefix } from '../../lib/redis-keys.ts';
import { bullPrefix } from '../../lib/ids.ts';
import { Tally } from '../../lib/tally.ts';
import { withDeadline } from '../../lib/time.ts';
import { chunks, payloads, type OverheadSide, type SideFactoryOptions } from './side.ts';

/**
 * Raw BullMQ as a user would write it: Queue.addBulk with default ids and a Worker with a no-op
 * processor. Retention is the same as Lanes' defaults so both keep Redis equally bounded.
 */
export function bullmqSide(options: SideFactoryOptions): OverheadSide {
  const prefix = bullPrefix(options.prefix);
  const producer = new Redis(options.redisUrl, { maxRetriesPerRequest: 2 });
  const queue = new Queue('default', { connection: producer, prefix });
  const opts = { removeOnComplete: DEFAULT_REMOVE_ON_COMPLETE, removeOnFail: DEFAULT_REMOVE_ON_FAIL };
  return {
    name: 'BullMQ',
    async enqueue(count, chunk) {
      const batches = chunks(
        payloads(count).map((data) => ({ name: 'bench-noop', data, opts })),
        chunk,
      );
      await queue.waitUntilReady();
      const startedAt = performance.now();
      for (const batch of batches) await queue.addBulk(batch);
      return (count * 1000) / (performance.now() - startedAt);
    },
    async process(count, concurrency, deadlineMs) {
      const tally = new Tally(count);
      const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
      const worker = new Worker(
        'default',
        async () => {
          tally.hit();
          return null;
        },
        { connection, prefix, concurrency },
      );
      try {
        await withDeadline(tally.done, deadlineMs, 'BullMQ processing');
      } finally {
        await worker.close();
        connection.disconnect();
      }
      return tally.perSecond;
    },
    async dispose() {
      await queue.close();
      producer.disconnect();
      await deleteKeysByPrefix(options.redisUrl, prefix);
    },
  };
}

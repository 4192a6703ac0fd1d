import { randomUUID } from 'node:crypto';
import { Queue, Worker, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { DEFAULT_REMOVE_ON_COMPLETE, DEFAULT_REMOVE_ON_FAIL } from '@lanes/queue';
import { deleteKeysByPrefix } from '../../lib/redis-keys.ts';
import { bullPrefix } from '../../lib/ids.ts';
import { Tally } from '../../lib/tally.ts';
import { withDeadline } from '../../lib/time.ts';
import { chunks, payloads, timeBulk, type OverheadSide, type SideFactoryOptions } from './side.ts';

/**
 * Raw BullMQ as a user would write it: Queue.addBulk with default ids and a Worker with a no-op
 * processor. By default with the same retention as Lanes' defaults (keep the last 1000 completed
 * jobs for a day), so both do the same Redis work; `remove-on-complete` shows what that costs.
 */
export type BullmqVariant = 'lanes-defaults' | 'remove-on-complete' | 'lanes-job-options';

const NAMES: Record<BullmqVariant, string> = {
  'lanes-defaults': 'BullMQ',
  'remove-on-complete': 'BullMQ (removeOnComplete: true)',
  'lanes-job-options': 'BullMQ (Lanes job options)',
};

/**
 * `lanes-job-options` adds what Lanes' buildJobSpec puts on every job (random UUID id, 3
 * attempts, exponential backoff with jitter), so the difference to Lanes is the worker runtime.
 */
function jobOptions(variant: BullmqVariant): () => JobsOptions {
  const retention = { removeOnComplete: DEFAULT_REMOVE_ON_COMPLETE, removeOnFail: DEFAULT_REMOVE_ON_FAIL };
  if (variant === 'remove-on-complete') return () => ({ removeOnComplete: true });
  if (variant === 'lanes-defaults') return () => retention;
  return () => ({
    ...retention,
    jobId: randomUUID(),
    attempts: 3,
    backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
  });
}

export function bullmqSide(options: SideFactoryOptions, variant: BullmqVariant = 'lanes-defaults'): OverheadSide {
  const prefix = bullPrefix(options.prefix);
  const producer = new Redis(options.redisUrl, { maxRetriesPerRequest: 2 });
  const queue = new Queue('default', { connection: producer, prefix });
  const opts = jobOptions(variant);
  return {
    name: NAMES[variant],
    async enqueue(count, chunk) {
      const batches = chunks(
        payloads(count).map((data) => ({ name: 'bench-noop', data, opts: opts() })),
        chunk,
      );
      await queue.waitUntilReady();
      return timeBulk(count, async () => {
        for (const batch of batches) await queue.addBulk(batch);
      });
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
      return { perSecond: tally.perSecond, cpuMicrosPerJob: tally.cpuMicrosPerJob };
    },
    async dispose() {
      await queue.close();
      producer.disconnect();
      await deleteKeysByPrefix(options.redisUrl, prefix);
    },
  };
}

// The idle-memory baseline: a process running plain BullMQ Workers on the three lanes' queues
// with a default Lanes worker's concurrency (8, 8, 4) and no-op processors, as a user of BullMQ
// alone would write it. Logs "worker started" once every Worker is connected; stops on SIGTERM.
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
const prefix = `{${process.env.LANES_PREFIX ?? 'bench-idle'}}`;
const workers = (
  [
    ['critical', 8],
    ['default', 8],
    ['low', 4],
  ] as const
).map(([queue, concurrency]) => new Worker(queue, async () => null, { connection, prefix, concurrency }));
await Promise.all(workers.map((worker) => worker.waitUntilReady()));
process.stdout.write('worker started\n');
process.once('SIGTERM', () => {
  void Promise.all(workers.map((worker) => worker.close())).then(() => {
    connection.disconnect();
    process.exit(0);
  });
});

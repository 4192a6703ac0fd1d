// The critical lane in a process of its own, as `lanes worker --queues critical` deploys it:
// started by lanes-side.ts (split) with IPC; reports each critical start to its parent.
import { LanesWorker, loadRuntimeConfig } from '@lanes/worker-core';
import { absoluteNow, benchCritical, observeStarts } from './bench-tasks.ts';

interface Start {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly slots: number;
}

const send = (message: unknown): void => void process.send?.(message);

process.once('message', async ({ redisUrl, prefix, slots }: Start) => {
  observeStarts(
    (index, sentAt) => send({ index, waitMs: absoluteNow() - sentAt }),
    () => undefined,
  );
  const config = loadRuntimeConfig({ REDIS_URL: redisUrl, LANES_PREFIX: prefix, LOG_LEVEL: 'warn' });
  const worker = new LanesWorker({
    config,
    tasks: [benchCritical],
    lanes: ['critical'],
    concurrency: { critical: slots },
  });
  await worker.start();
  send({ ready: true });
  process.once('message', async () => {
    await worker.close(5000);
    process.exit(0);
  });
});

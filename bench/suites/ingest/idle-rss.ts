import { join } from 'node:path';
import { bullPrefix } from '../../lib/ids.ts';
import { dropPgSchema } from '../../lib/pg-schema.ts';
import { procStatusKb } from '../../lib/proc-status.ts';
import { deleteKeysByPrefix } from '../../lib/redis-keys.ts';
import { spawnUntilStarted, spawnWorker, type WorkerProcess } from '../../lib/worker-process.ts';

/** RSS of fresh, idle worker processes, kB. */
export interface IdleRss {
  /** Plain BullMQ Workers on the three queues (bullmq-idle-worker.ts). */
  readonly bullmqKb: number;
  /** `lanes worker --no-builtins` (no user tasks either). */
  readonly noBuiltinsKb: number;
  /** `lanes worker` with the built-in RAG tasks (the schema migrated, nothing ingested). */
  readonly builtinsKb: number;
}

/** How long a process idles after it reported ready before its RSS is read. */
const SETTLE_MS = 3000;

async function idleRssKb(start: () => Promise<WorkerProcess>): Promise<number> {
  const worker = await start();
  try {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    return procStatusKb(worker.pid, 'VmRSS');
  } finally {
    await worker.stop();
  }
}

/** One process at a time, each on its own prefix (and schema), all from TypeScript sources on the same Node. */
export async function measureIdleRss(options: { redisUrl: string; databaseUrl: string; id: string }): Promise<IdleRss> {
  const prefix = `${options.id}-idle`;
  const schema = `bench_${options.id.toLowerCase().replace(/[^a-z0-9_]/g, '_')}_idle`;
  const env = {
    REDIS_URL: options.redisUrl,
    DATABASE_URL: options.databaseUrl,
    LANES_PREFIX: prefix,
    LANES_PG_SCHEMA: schema,
    LANES_REBUILD_INDEX_CRON: 'off',
    LANES_CACHE_WARMING_CRON: 'off',
    LANES_RECONCILE_CRON: 'off',
  };
  try {
    return {
      bullmqKb: await idleRssKb(() => spawnUntilStarted([join(import.meta.dirname, 'bullmq-idle-worker.ts')], env)),
      noBuiltinsKb: await idleRssKb(() => spawnWorker(env, ['--no-builtins'])),
      builtinsKb: await idleRssKb(() => spawnWorker(env)),
    };
  } finally {
    await deleteKeysByPrefix(options.redisUrl, bullPrefix(prefix));
    await dropPgSchema(options.databaseUrl, schema).catch(() => undefined);
  }
}

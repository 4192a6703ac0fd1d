import { tmpdir } from 'node:os';
import { ingest, type IngestResult } from '@lanes/contracts';
import { LanesClient } from '@lanes/client';
import { bullPrefix } from '../../lib/ids.ts';
import { dropPgSchema, runSql } from '../../lib/pg-schema.ts';
import { procStatusKb } from '../../lib/proc-status.ts';
import { deleteKeysByPrefix } from '../../lib/redis-keys.ts';
import { withDeadline } from '../../lib/time.ts';
import { REPO_ROOT, spawnWorker, type WorkerProcess } from '../../lib/worker-process.ts';

export interface IngestRun {
  readonly wallMs: number;
  readonly pages: number;
  readonly chunks: number;
  /** Peak RSS of each worker process over its life (VmHWM), kB. */
  readonly workerPeakRssKb: number[];
}

/**
 * Starts `processes` real worker processes (built-in tasks, local embedder) on a fresh prefix
 * and schema, ingests `files` and waits until every ingest (extraction, chunking, embedding,
 * storing) finished. Start-up and migrations are not timed.
 */
export async function lanesIngest(
  options: {
    redisUrl: string;
    databaseUrl: string;
    id: string;
    env?: Readonly<Record<string, string>>;
    /** SQL run on the migrated schema before the timed ingest (`$schema` is replaced by it). */
    prepareSql?: string;
  },
  files: readonly string[],
  processes: number,
): Promise<IngestRun> {
  const prefix = `${options.id}-ing`;
  const schema = `bench_${options.id.toLowerCase().replace(/[^a-z0-9_]/g, '_')}_ing`;
  const env = {
    REDIS_URL: options.redisUrl,
    DATABASE_URL: options.databaseUrl,
    LANES_PREFIX: prefix,
    LANES_PG_SCHEMA: schema,
    EMBEDDING_PROVIDER: 'local',
    LANES_ALLOWED_ROOTS: `${REPO_ROOT}:${tmpdir()}`,
    LANES_REBUILD_INDEX_CRON: 'off',
    LANES_CACHE_WARMING_CRON: 'off',
    ...options.env,
  };
  const workers: WorkerProcess[] = [];
  const client = new LanesClient({ redisUrl: options.redisUrl, prefix });
  try {
    // One after the other: the first runs the schema migrations alone.
    for (let i = 0; i < processes; i++) workers.push(await spawnWorker(env));
    if (options.prepareSql !== undefined)
      await runSql(options.databaseUrl, options.prepareSql.replaceAll('$schema', `"${schema}"`));
    const startedAt = performance.now();
    const handles = await client.enqueueBulk(
      ingest,
      files.map((path) => ({ payload: { path } })),
    );
    const results: IngestResult[] = [];
    await withDeadline(
      (async () => {
        for (const handle of handles) results.push(await handle.wait({ timeoutMs: 600_000 }));
      })(),
      600_000,
      'ingest',
    );
    const wallMs = performance.now() - startedAt;
    return {
      wallMs,
      pages: results.reduce((sum, r) => sum + r.pages, 0),
      chunks: results.reduce((sum, r) => sum + r.chunks, 0),
      workerPeakRssKb: workers.map((w) => procStatusKb(w.pid, 'VmHWM')),
    };
  } finally {
    await client.close();
    await Promise.all(workers.map((w) => w.stop()));
    await deleteKeysByPrefix(options.redisUrl, bullPrefix(prefix));
    await dropPgSchema(options.databaseUrl, schema).catch(() => undefined);
  }
}

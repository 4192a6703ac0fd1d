import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import pg from 'pg';
import { Redis } from 'ioredis';
import {
  DEFAULT_DATABASE_URL,
  definedOnly,
  ingest,
  type IngestResult,
  type Lane,
  type PayloadOf,
} from '@lanes/contracts';
import { LanesMetrics, LanesWorker, loadRuntimeConfig } from '@lanes/worker-core';
import { createRagReader, createRagRuntime, type RagReader, type RagRuntime } from '@lanes/tasks';
import { REDIS_URL, REPO_ROOT } from '../support/env.ts';
import type { FakeOpenAIServer } from '../support/fake-openai-server.ts';

export const DATABASE_URL = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');

export type TestEnv = Record<string, string>;

/** A prefix and a PostgreSQL schema of its own for each test file, so files never collide. */
export function ragTestEnv(label: string, extra: TestEnv = {}): TestEnv {
  const id = randomBytes(3).toString('hex');
  return {
    ...(process.env as TestEnv),
    REDIS_URL,
    DATABASE_URL,
    LANES_PREFIX: `t-rag-${label}-${id}`,
    LANES_PG_SCHEMA: `t_rag_${label.replace(/[^a-z0-9]/g, '_')}_${id}`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    LANES_ALLOWED_ROOTS: `${REPO_ROOT}:${tmpdir()}`,
    LANES_LOCK_DURATION_MS: '10000',
    LANES_REBUILD_INDEX_CRON: 'off',
    LANES_CACHE_WARMING_CRON: 'off',
    LANES_RECONCILE_CRON: 'off',
    ...extra,
  };
}

/** Settings for the openai provider against the fake server (smaller than production vectors, to keep tests quick). */
export function openaiEnv(server: FakeOpenAIServer, extra: TestEnv = {}): TestEnv {
  return {
    EMBEDDING_PROVIDER: 'openai',
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: server.url,
    EMBEDDING_MODEL: 'text-embedding-3-small',
    EMBEDDING_DIMENSIONS: '256',
    LANES_EMBED_TIMEOUT_MS: '2000',
    ...extra,
  };
}

export interface RagWorker {
  readonly worker: LanesWorker;
  readonly rag: RagRuntime;
  /** What the CLI's reading commands and the dashboard open, on the same settings. */
  readonly reader: RagReader;
  readonly metrics: LanesMetrics;
  close(): Promise<void>;
}

/** Ingests one document through the worker and waits for its result. */
export async function ingestAndWait(w: RagWorker, payload: PayloadOf<typeof ingest>): Promise<IngestResult> {
  return (await w.worker.client.enqueue(ingest, payload)).wait({ timeoutMs: 60_000 });
}

/** A real worker process-in-miniature: the RAG runtime's tasks on a LanesWorker (every lane unless `lanes` says otherwise). */
export async function startRagWorker(env: TestEnv, options: { lanes?: readonly Lane[] } = {}): Promise<RagWorker> {
  const metrics = new LanesMetrics({ defaultMetrics: false });
  const rag = await createRagRuntime({ env, metrics });
  const worker = new LanesWorker({
    config: loadRuntimeConfig(env),
    tasks: rag.tasks,
    readinessChecks: rag.readinessChecks,
    metrics,
    ...definedOnly({ lanes: options.lanes }),
  });
  await worker.start();
  const reader = createRagReader({ env, metrics });
  return {
    worker,
    rag,
    reader,
    metrics,
    close: async () => {
      await worker.close(5000);
      await reader.close();
      await rag.close();
    },
  };
}

export async function withPg<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Rows of a query in the test's schema (`$schema` in the SQL is replaced by it). */
export async function sql<T extends pg.QueryResultRow>(
  env: TestEnv,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  return withPg(
    async (client) => (await client.query<T>(text.replaceAll('$schema', `"${env.LANES_PG_SCHEMA}"`), params)).rows,
  );
}

/** Drops the test's schema and Redis keys. */
export async function dropRagState(env: TestEnv): Promise<void> {
  await withPg((client) => client.query(`DROP SCHEMA IF EXISTS "${env.LANES_PG_SCHEMA}" CASCADE`));
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `{${env.LANES_PREFIX}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Reads one counter's total (summed over labels, or for the given labels) from a registry. */
export async function counterValue(
  metrics: LanesMetrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  return values
    .filter((value) =>
      Object.entries(labels).every(
        ([key, wanted]) => String((value.labels as Record<string, unknown>)[key]) === wanted,
      ),
    )
    .reduce((sum, value) => sum + value.value, 0);
}

/** The BM25 statistics the triggers keep, against a recount from the live chunks themselves. */
export async function assertLexicalStatisticsMatchLiveChunks(env: TestEnv): Promise<{ chunks: number; terms: number }> {
  const [corpus] = await sql<{ chunk_count: string; total_length: string }>(
    env,
    'SELECT chunk_count, total_length FROM $schema.lexical_corpus',
  );
  const [live] = await sql<{ n: string; total: string | null }>(
    env,
    'SELECT count(*) AS n, sum(lexical_length) AS total FROM $schema.chunks WHERE live',
  );
  assert.equal(corpus!.chunk_count, live!.n);
  assert.equal(corpus!.total_length, live!.total ?? '0');
  const drift = await sql(
    env,
    `(SELECT term, df FROM $schema.lexical_terms EXCEPT SELECT term, count(*)::int FROM $schema.chunks, unnest(lexemes) term WHERE live GROUP BY term)
     UNION ALL
     (SELECT term, count(*)::int FROM $schema.chunks, unnest(lexemes) term WHERE live GROUP BY term EXCEPT SELECT term, df FROM $schema.lexical_terms)`,
  );
  assert.deepEqual(drift, [], 'document frequencies equal a recount');
  const [terms] = await sql<{ n: string }>(env, 'SELECT count(*) AS n FROM $schema.lexical_terms');
  return { chunks: Number(live!.n), terms: Number(terms!.n) };
}

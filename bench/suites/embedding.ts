import { ingest, type IngestResult } from '@lanes/contracts';
import { LanesClient } from '@lanes/client';
import { countTokens } from '@lanes/tasks';
import { FakeOpenAIServer } from '../../test/support/fake-openai-server.ts';
import type { BenchOptions, SuiteResult } from '../lib/types.ts';
import { dropPgSchema } from '../lib/pg-schema.ts';
import { deleteKeysByPrefix } from '../lib/redis-keys.ts';
import { bullPrefix } from '../lib/ids.ts';
import { percentile, ratio, round } from '../lib/stats.ts';
import { syntheticDocument } from '../lib/text-corpus.ts';
import { withDeadline } from '../lib/time.ts';
import { spawnWorker, type WorkerProcess } from '../lib/worker-process.ts';
import { measureCacheLatency, type CacheLatency } from './embedding/cache-latency.ts';
import { embeddingEnv } from './embedding/env.ts';
import { naiveEmbedding } from './embedding/naive-client.ts';
import { requestStats, type RequestStats } from './embedding/request-stats.ts';

const TARGET_FRACTION = 0.9;

interface Sizes {
  /** The provider's limit. */
  readonly requestsPerSecond: number;
  readonly batchSize: number;
  /** Provider requests the corpus needs, roughly: sets the run's length (requests / rate). */
  readonly requests: number;
  readonly workerProcesses: number;
  readonly wordsPerDocument: number;
  readonly cacheSamples: number;
  readonly misses: number;
}

function sizes(quick: boolean): Sizes {
  return quick
    ? {
        requestsPerSecond: 20,
        batchSize: 8,
        requests: 30,
        workerProcesses: 1,
        wordsPerDocument: 600,
        cacheSamples: 20,
        misses: 3,
      }
    : {
        requestsPerSecond: 20,
        batchSize: 8,
        requests: 400,
        workerProcesses: 2,
        wordsPerDocument: 2000,
        cacheSamples: 300,
        misses: 10,
      };
}

/** Documents whose chunks (64 tokens, 8 overlapping) need about `requests` provider requests. */
function corpus(size: Sizes, runId: string): Array<{ payload: { text: string; source: string } }> {
  const tokensPerDoc = countTokens(syntheticDocument(1, size.wordsPerDocument));
  const chunksPerDoc = Math.max(1, Math.floor(tokensPerDoc / 56));
  const docs = Math.max(1, Math.ceil((size.requests * size.batchSize) / chunksPerDoc));
  return Array.from({ length: docs }, (_, i) => ({
    payload: { text: syntheticDocument(1000 + i, size.wordsPerDocument), source: `bench-embedding-${runId}-${i}.txt` },
  }));
}

async function lanesRun(
  options: BenchOptions,
  size: Sizes,
  server: FakeOpenAIServer,
  env: Record<string, string>,
): Promise<{ stats: RequestStats; documents: number; chunks: number }> {
  const workers: WorkerProcess[] = [];
  const client = new LanesClient({ redisUrl: options.redisUrl, prefix: env.LANES_PREFIX! });
  try {
    for (let i = 0; i < size.workerProcesses; i++) workers.push(await spawnWorker(env));
    const docs = corpus(size, options.runId);
    options.log(
      `embedding: ${docs.length} documents through ${size.workerProcesses} worker processes, provider limit ${size.requestsPerSecond} requests/s`,
    );
    server.reset();
    const handles = await client.enqueueBulk(ingest, docs);
    // One wait at a time: the jobs run in parallel on the workers regardless.
    const waitAll = async (): Promise<IngestResult[]> => {
      const out: IngestResult[] = [];
      for (const handle of handles) out.push(await handle.wait({ timeoutMs: 300_000 }));
      return out;
    };
    const results = await withDeadline(waitAll(), 300_000, 'embedding ingest');
    const limit = { requests: size.requestsPerSecond, perMs: 1000 };
    return {
      stats: requestStats(server.requests, limit),
      documents: docs.length,
      chunks: results.reduce((sum, r) => sum + r.chunks, 0),
    };
  } finally {
    await client.close();
    await Promise.all(workers.map((w) => w.stop()));
  }
}

/**
 * Embedding against a rate-limited OpenAI-compatible server: documents ingested by worker
 * processes that share the Redis budget, set to the provider's limit. Throughput as a fraction
 * of the limit, 429s, next to a client that just retries on 429; and the cache-hit latency.
 */
export async function run(options: BenchOptions): Promise<SuiteResult> {
  const startedAt = Date.now();
  const size = sizes(options.quick);
  const server = new FakeOpenAIServer({ rateLimit: { requests: size.requestsPerSecond, perMs: 1000 } });
  const prefix = `${options.runId}-emb`;
  const schema = `bench_${options.runId.toLowerCase()}_emb`;
  await server.start();
  let lanes: Awaited<ReturnType<typeof lanesRun>>;
  let naive: RequestStats;
  let naiveFailed: number;
  let cache: CacheLatency;
  try {
    const env = embeddingEnv({
      ...options,
      prefix,
      schema,
      serverUrl: server.url,
      requestsPerSecond: size.requestsPerSecond,
      batchSize: size.batchSize,
    });
    lanes = await lanesRun(options, size, server, env);
    options.log(
      `embedding: Lanes ${lanes.stats.accepted} requests in ${(lanes.stats.windowMs / 1000).toFixed(1)} s = ${lanes.stats.fractionOfLimit.toFixed(3)} of the limit, ${lanes.stats.rejected429} 429s`,
    );

    server.setRateLimit({ requests: size.requestsPerSecond, perMs: 1000 });
    server.reset();
    const concurrency = size.workerProcesses * 8;
    naiveFailed = (await naiveEmbedding(server.url, lanes.stats.accepted, size.batchSize, concurrency)).failed;
    naive = requestStats(server.requests, { requests: size.requestsPerSecond, perMs: 1000 });
    options.log(
      `embedding: retry-on-429 client ${naive.accepted} requests = ${naive.fractionOfLimit.toFixed(3)} of the limit, ${naive.rejected429} 429s`,
    );

    server.setRateLimit({ requests: size.requestsPerSecond, perMs: 1000 });
    cache = await measureCacheLatency(env, size.cacheSamples, size.misses);
  } finally {
    await server.stop();
    await deleteKeysByPrefix(options.redisUrl, bullPrefix(prefix));
    await dropPgSchema(options.databaseUrl, schema).catch(() => undefined);
  }
  const fraction = round(lanes.stats.fractionOfLimit);
  const p = (values: number[], q: number): number | null => round(percentile(values, q));
  const noBurst = lanes.stats.rejected429 <= Math.max(1, lanes.stats.accepted * 0.01);
  return {
    suite: 'embedding',
    title: 'Embedding against a rate-limited provider',
    rows: [
      {
        metric: 'provider requests accepted / limit',
        unit: 'req/s',
        lanes: round(lanes.stats.acceptedPerSecond),
        baseline: size.requestsPerSecond,
        baselineName: 'provider limit',
        ratio: fraction,
        target: `fraction >= ${TARGET_FRACTION}`,
        met: fraction !== null && fraction >= TARGET_FRACTION,
        others: [{ name: 'retry-on-429 client, fraction', value: round(naive.fractionOfLimit) }],
        note: `fraction counts the initial full bucket; ${lanes.documents} documents, ${lanes.chunks} chunks, ${lanes.stats.accepted} requests of ${size.batchSize} inputs, ${size.workerProcesses} worker processes`,
      },
      {
        metric: '429 responses',
        unit: '',
        lanes: lanes.stats.rejected429,
        baseline: naive.rejected429,
        baselineName: 'client retrying on 429, no shared budget',
        ratio: ratio(lanes.stats.rejected429, naive.rejected429),
        target: 'no burst (<= 1% of requests)',
        met: noBurst,
        note:
          `most in one second: ${lanes.stats.max429PerSecond} vs ${naive.max429PerSecond}; the baseline had the same ${lanes.stats.accepted} requests to make from ` +
          `${size.workerProcesses * 8} concurrent callers: ${naive.accepted} got through${naiveFailed > 0 ? `, ${naiveFailed} gave up after 10 attempts` : ''}`,
      },
      ...[50, 95].map((q) => ({
        metric: `cache-hit embed p${q}`,
        unit: 'ms',
        lanes: p(cache.hitMs, q),
        baseline: p(cache.redisGetMs, q),
        baselineName: 'Redis GET round trip',
        ratio: ratio(p(cache.hitMs, q), p(cache.redisGetMs, q)),
        target: '',
        met: null,
        others: [{ name: 'cache miss (one provider request)', value: p(cache.missMs, q) }],
        ...(q === 95 && { note: `Embedder.embed of one cached text, ${size.cacheSamples} samples` }),
      })),
    ],
    params: { ...size, lanes: lanes.stats, naive: { ...naive, failed: naiveFailed } },
    notes: [
      `The local fake OpenAI server (test/support/fake-openai-server.ts) enforces ${size.requestsPerSecond} requests/s as a token bucket and answers 429 with retry-after-ms; ` +
        `Lanes is configured with the same limit (LANES_EMBED_RPM=${size.requestsPerSecond * 60}, 1 s window) and ingests text documents end to end.`,
    ],
    durationMs: Date.now() - startedAt,
  };
}

import { createHash } from 'node:crypto';
import { LanesMetrics } from '@lanes/worker-core';
import {
  createRagRuntime,
  Database,
  DocumentStore,
  loadRagConfig,
  localEmbedding,
  rebuildHnswIndex,
} from '@lanes/tasks';
import type { BenchOptions } from '../../lib/types.ts';
import { deleteKeysByPrefix } from '../../lib/redis-keys.ts';
import { bullPrefix } from '../../lib/ids.ts';
import { dropPgSchema } from '../../lib/pg-schema.ts';
import { prng } from '../../lib/prng.ts';

export interface HybridRun {
  readonly chunks: number;
  readonly queries: number;
  readonly loadChunksPerSecond: number;
  readonly vectorMs: number[];
  readonly hybridMs: number[];
  readonly lexicalMs: number[];
}

const WORDS_PER_CHUNK = 80;
const CHUNKS_PER_DOCUMENT = 1000;
const VOCABULARY = 20_000;
const QUERY_WORDS = 8;
const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ne',
  'pu',
  'ra',
  'si',
  'to',
  'vu',
  'ze',
  'bar',
  'cor',
  'dex',
  'fin',
  'gul',
  'hop',
  'jin',
  'kel',
  'mor',
  'nix',
  'pol',
  'qua',
  'rin',
  'sol',
  'tar',
  'ulm',
  'ver',
  'wex',
  'yor',
  'zan',
];

/** The rank-th word of a fixed vocabulary: syllables spelling the rank, at least two. */
function word(rank: number): string {
  let n = rank;
  let out = '';
  do {
    out += SYLLABLES[n % SYLLABLES.length]!;
    n = Math.floor(n / SYLLABLES.length);
  } while (n > 0 || out.length < 4);
  return out;
}

/** Draws vocabulary ranks with Zipf frequencies (weight 1 / rank), as words in text are. */
function zipfSampler(random: () => number): () => string {
  const words = Array.from({ length: VOCABULARY }, (_, rank) => word(rank));
  const cdf = new Float64Array(VOCABULARY);
  let total = 0;
  for (let rank = 0; rank < VOCABULARY; rank++) cdf[rank] = total += 1 / (rank + 1);
  return () => {
    const target = random() * total;
    let lo = 0;
    let hi = VOCABULARY - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return words[lo]!;
  };
}

/**
 * Vector-only against hybrid (BM25 + vector, fused) search latency through the app's search
 * service, on `chunks` chunks of synthetic text (Zipf-distributed words from a fixed
 * vocabulary, seeded) with local-embedder vectors, loaded in the app's own tables (staged and
 * finalised like ingest, so the lexical index and its statistics are the app's) and an HNSW
 * index built after the load. Queries are word windows of random chunks, each new (result
 * cache misses); per query the three modes (vector, hybrid, lexical) run in rotating order, so
 * none always finds the query embedding cached by another.
 */
export async function measureHybrid(options: BenchOptions, chunks: number, queryCount: number): Promise<HybridRun> {
  const prefix = `${options.runId}-hyb`;
  const schema = `bench_${options.runId.toLowerCase()}_hyb`;
  const env = {
    REDIS_URL: options.redisUrl,
    DATABASE_URL: options.databaseUrl,
    LANES_PREFIX: prefix,
    LANES_PG_SCHEMA: schema,
    EMBEDDING_PROVIDER: 'local',
    LANES_REBUILD_INDEX_CRON: 'off',
    LANES_CACHE_WARMING_CRON: 'off',
    LOG_LEVEL: 'warn',
  };
  const config = loadRagConfig(env);
  const rag = await createRagRuntime({ env, metrics: new LanesMetrics({ defaultMetrics: false }) });
  const db = new Database({ url: config.databaseUrl, schema: config.pgSchema });
  const documents = new DocumentStore(db);
  const space = rag.spaces.primary;
  const random = prng(2024);
  const nextWord = zipfSampler(random);
  const sample: string[][] = [];
  try {
    await db.withClient(async (client) => {
      const { rows } = await client.query<{ indexname: string }>(
        `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 AND indexdef LIKE '%hnsw%'`,
        [schema, space.tableName],
      );
      for (const { indexname } of rows) await client.query(`DROP INDEX ${db.table(indexname)}`);
    });
    const loadStarted = performance.now();
    for (let loaded = 0, doc = 0; loaded < chunks; doc++) {
      const count = Math.min(CHUNKS_PER_DOCUMENT, chunks - loaded);
      const texts = Array.from({ length: count }, () => Array.from({ length: WORDS_PER_CHUNK }, nextWord));
      for (const words of texts) if (random() < (queryCount * 2) / chunks) sample.push(words);
      const staged = texts.map((words, index) => {
        const text = words.join(' ');
        return { index, text, hash: createHash('sha256').update(text).digest('hex'), tokens: WORDS_PER_CHUNK };
      });
      const source = `synthetic-${doc}`;
      const result = await documents.stage({
        source,
        metadata: {},
        contentHash: source,
        pages: 1,
        chunks: staged,
        spaces: [space],
        jobId: `bench-${doc}`,
      });
      await documents.writeVectors(
        space,
        staged.map((chunk) => [chunk.hash, localEmbedding(chunk.text, space.dimensions)] as const),
      );
      await documents.finalise(result.documentId, result.generation, space, [space]);
      loaded += count;
      if (loaded % 20_000 === 0) options.log(`search hybrid: ${loaded} chunks`);
    }
    const loadChunksPerSecond = (chunks * 1000) / (performance.now() - loadStarted);
    options.log(`search hybrid: loaded at ${Math.round(loadChunksPerSecond)} chunks/s; building HNSW`);
    await rebuildHnswIndex(db, space, config.index);
    const queries = Array.from({ length: queryCount }, (_, i) => {
      const words = sample[i % sample.length]!;
      const start = Math.floor(random() * (words.length - QUERY_WORDS));
      return words.slice(start, start + QUERY_WORDS).join(' ');
    });
    for (const [i, query] of queries.slice(0, 10).entries())
      await rag.search(`${query} warmup ${i}`, 10, { record: false });
    const times = { vector: [] as number[], hybrid: [] as number[], lexical: [] as number[] };
    const modes = ['vector', 'hybrid', 'lexical'] as const;
    for (const [i, query] of queries.entries()) {
      // Rotated, so no mode always finds the query embedding cached by another.
      for (const offset of [0, 1, 2]) {
        const mode = modes[(i + offset) % modes.length]!;
        const startedAt = performance.now();
        await rag.search(query, 10, { record: false, mode });
        times[mode].push(performance.now() - startedAt);
      }
    }
    return {
      chunks,
      queries: queryCount,
      loadChunksPerSecond,
      vectorMs: times.vector,
      hybridMs: times.hybrid,
      lexicalMs: times.lexical,
    };
  } finally {
    await db.close();
    await rag.close();
    await deleteKeysByPrefix(options.redisUrl, bullPrefix(prefix)).catch(() => undefined);
    await dropPgSchema(options.databaseUrl, schema).catch((error: unknown) =>
      options.log(`search hybrid: could not drop schema ${schema}: ${String(error)}`),
    );
  }
}

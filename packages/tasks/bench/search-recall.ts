/**
 * Search latency and recall@10 through the real search service (local embedder, pgvector HNSW,
 * the app's m / ef_construction / ef_search), against exact search, on N chunks (default
 * 100k). Chunks are 80-word windows of the repository's real documents (the two real-world
 * PDFs, the fixtures and samples) with 15% of words replaced at random, so every chunk is
 * distinct but reads like its neighbours; queries are 12-word windows made the same way.
 *
 *   node packages/tasks/bench/search-recall.ts [--chunks 100000] [--queries 200] [--keep]
 *
 * Loads like a production bulk load: chunks staged per document, vectors written in bulk
 * without an index, then one `rebuild-index` style concurrent HNSW build.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { LanesMetrics, loadRuntimeConfig } from '@lanes/worker-core';
import { createRagServices } from '../src/services.ts';
import { loadRagConfig } from '../src/config.ts';
import { describeFile, extractDocument } from '../src/extract/extract-document.ts';
import { localEmbedding } from '../src/embed/local-provider.ts';
import { sha256 } from '../src/hashing.ts';
import { rebuildHnswIndex } from '../src/store/index-builder.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const { values } = parseArgs({ options: { chunks: { type: 'string', default: '100000' }, queries: { type: 'string', default: '200' }, keep: { type: 'boolean', default: false } } });
const CHUNKS = Number(values.chunks);
const QUERIES = Number(values.queries);
const PER_DOCUMENT = 1000;
const log = (message: string): void => void process.stderr.write(`[search-recall] ${message}\n`);

const id = randomBytes(3).toString('hex');
const env = {
  ...process.env,
  LANES_PREFIX: `bench-rag-${id}`,
  LANES_PG_SCHEMA: `bench_rag_${id}`,
  EMBEDDING_PROVIDER: 'local',
  LOG_LEVEL: 'warn',
  LANES_REBUILD_INDEX_CRON: 'off',
  LANES_CACHE_WARMING_CRON: 'off',
};
const config = loadRagConfig(env);
const services = await createRagServices(config, loadRuntimeConfig(env), { metrics: new LanesMetrics({ defaultMetrics: false }) });
const space = services.primary.space;

let seed = 12345;
const random = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296;

async function corpusWords(): Promise<string[]> {
  const files = [
    ...readdirSync(join(ROOT, 'test', 'fixtures', 'pdf')).map((f) => join(ROOT, 'test', 'fixtures', 'pdf', f)),
    ...readdirSync(join(ROOT, 'test', 'fixtures', 'docs')).map((f) => join(ROOT, 'test', 'fixtures', 'docs', f)),
    ...readdirSync(join(ROOT, 'samples')).filter((f) => /\.(md|txt)$/.test(f)).map((f) => join(ROOT, 'samples', f)),
  ];
  const words: string[] = [];
  for (const file of files) {
    if (file.endsWith('.pdf')) {
      const input = await describeFile(file, file, config.chunking, config.extraction);
      const out = await extractDocument(services.extractor, input, config.chunking, config.extraction);
      for (const chunk of out.chunks) words.push(...chunk.text.split(/\s+/));
    } else words.push(...readFileSync(file, 'utf8').split(/\s+/));
  }
  return words.filter((word) => word !== '');
}

function windowText(words: readonly string[], length: number): string {
  const start = Math.floor(random() * (words.length - length));
  return words
    .slice(start, start + length)
    .map((word) => (random() < 0.15 ? words[Math.floor(random() * words.length)]! : word))
    .join(' ');
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

try {
  const words = await corpusWords();
  log(`${words.length} words of real text; loading ${CHUNKS} chunks into ${env.LANES_PG_SCHEMA}`);
  await services.db.withClient(async (client) => {
    for (const { indexname } of (await client.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 AND indexdef LIKE '%hnsw%'`, [env.LANES_PG_SCHEMA, space.tableName])).rows) {
      await client.query(`DROP INDEX ${services.db.table(indexname)}`);
    }
  });
  const loadStarted = performance.now();
  for (let doc = 0; doc * PER_DOCUMENT < CHUNKS; doc++) {
    const count = Math.min(PER_DOCUMENT, CHUNKS - doc * PER_DOCUMENT);
    const chunks = Array.from({ length: count }, (_, index) => {
      const text = windowText(words, 80);
      return { index, text, hash: sha256(text), tokens: Math.round(80 * 1.3) };
    });
    const staged = await services.documents.stage({ source: `bench-doc-${doc}`, metadata: {}, contentHash: sha256(`doc-${doc}`), pages: 1, chunks, primary: space });
    await services.documents.writeVectors(space, chunks.map((chunk) => [chunk.hash, localEmbedding(chunk.text, space.dimensions)] as const));
    await services.documents.finalise(staged.documentId, staged.generation, space, [space]);
    if (doc % 10 === 9) log(`${(doc + 1) * PER_DOCUMENT} chunks`);
  }
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  log(`loaded in ${loadSeconds.toFixed(1)} s; building HNSW (m=${config.index.m}, ef_construction=${config.index.efConstruction})`);
  const build = await rebuildHnswIndex(services.db, space, config.index);
  log(`index built in ${(build.durationMs / 1000).toFixed(1)} s`);

  const queries = Array.from({ length: QUERIES }, () => windowText(words, 12));
  const annMs: number[] = [];
  const exactMs: number[] = [];
  let recallSum = 0;
  // Warm-up (connections, plans, caches of the first pages).
  for (const query of queries.slice(0, 10)) await services.search.search(`${query} warmup`, 10, { record: false });
  for (const query of queries) {
    let started = performance.now();
    const ann = await services.search.search(query, 10, { record: false });
    annMs.push(performance.now() - started);
    started = performance.now();
    const exact = await services.search.search(query, 10, { exact: true });
    exactMs.push(performance.now() - started);
    const truth = new Set(exact.results.map((hit) => `${hit.documentId}:${hit.chunkIndex}`));
    const found = ann.results.filter((hit) => truth.has(`${hit.documentId}:${hit.chunkIndex}`)).length;
    recallSum += truth.size === 0 ? 1 : found / truth.size;
  }
  const cached: number[] = [];
  for (const query of queries.slice(0, 50)) {
    const started = performance.now();
    await services.search.search(query, 10, { record: false });
    cached.push(performance.now() - started);
  }
  annMs.sort((a, b) => a - b);
  exactMs.sort((a, b) => a - b);
  cached.sort((a, b) => a - b);
  const round = (n: number): number => Math.round(n * 100) / 100;
  const report = {
    chunks: CHUNKS,
    queries: QUERIES,
    dimensions: space.dimensions,
    hnsw: { m: config.index.m, efConstruction: config.index.efConstruction, efSearch: config.search.efSearch },
    loadChunksPerSecond: Math.round(CHUNKS / loadSeconds),
    indexBuildSeconds: round(build.durationMs / 1000),
    searchMs: { p50: round(percentile(annMs, 50)), p95: round(percentile(annMs, 95)), max: round(annMs.at(-1)!) },
    exactSearchMs: { p50: round(percentile(exactMs, 50)), p95: round(percentile(exactMs, 95)) },
    cachedSearchMs: { p50: round(percentile(cached, 50)), p95: round(percentile(cached, 95)) },
    recallAt10: round(recallSum / queries.length),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  await services.close();
  if (values.keep !== true) {
    const client = new pg.Client({ connectionString: config.databaseUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${env.LANES_PG_SCHEMA}" CASCADE`);
    await client.end();
  }
}

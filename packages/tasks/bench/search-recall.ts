/**
 * Search latency (vector, lexical, hybrid) and vector recall@10 through the real search service (local embedder, pgvector HNSW,
 * the app's m / ef_construction / ef_search), against exact search, on N chunks (default
 * 100k) of real-world text: the upstream NEWS and changelog files Debian ships under
 * /usr/share/doc (millions of words of release notes from hundreds of projects), each file one
 * document, cut by the app's chunker (128-token chunks, so 100k chunks need ~9M words).
 * Queries are sentences of 6-20 words taken from random chunks. Where /usr/share/doc has too
 * little text, 80-word windows of the repository's own documents with 15% of words replaced
 * make up the rest.
 *
 *   node packages/tasks/bench/search-recall.ts [--chunks 100000] [--queries 200] [--keep]
 *
 * Loads like a production bulk load: chunks staged per document, vectors written in bulk
 * without an index, then one `rebuild-index` style concurrent HNSW build.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { LanesMetrics } from '@lanes/worker-core';
import { createRagRuntime } from '../src/composition.ts';
import { loadRagConfig } from '../src/config.ts';
import { createDocumentExtractor, describeFile, extractDocument } from '../src/extract/extract-document.ts';
import { Database } from '../src/store/database.ts';
import { DocumentStore } from '../src/store/documents.ts';
import { localEmbedding } from '../src/embed/local-provider.ts';
import { sha256 } from '../src/hashing.ts';
import { chunkText, type Chunk } from '../src/chunk/chunker.ts';
import { rebuildHnswIndex } from '../src/store/index-builder.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const { values } = parseArgs({
  options: {
    chunks: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '200' },
    keep: { type: 'boolean', default: false },
  },
});
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
const rag = await createRagRuntime({ env, metrics: new LanesMetrics({ defaultMetrics: false }) });
const db = new Database({ url: config.databaseUrl, schema: config.pgSchema });
const store = new DocumentStore(db);
const extractor = createDocumentExtractor(config.extraction, config.extraction.threads);
const space = rag.spaces.primary;

let seed = 12345;
const random = (): number => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 4294967296;
};

async function corpusWords(): Promise<string[]> {
  const files = [
    ...readdirSync(join(ROOT, 'test', 'fixtures', 'pdf')).map((f) => join(ROOT, 'test', 'fixtures', 'pdf', f)),
    ...readdirSync(join(ROOT, 'test', 'fixtures', 'docs')).map((f) => join(ROOT, 'test', 'fixtures', 'docs', f)),
    ...readdirSync(join(ROOT, 'samples'))
      .filter((f) => /\.(md|txt)$/.test(f))
      .map((f) => join(ROOT, 'samples', f)),
  ];
  const words: string[] = [];
  for (const file of files) {
    if (file.endsWith('.pdf')) {
      const input = await describeFile(file, file, config.chunking, config.extraction);
      const out = await extractDocument(extractor, input, config.chunking, config.extraction);
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

/** Upstream NEWS/changelog files under /usr/share/doc, in a stable order. */
function releaseNotes(): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number): void => {
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of entries) {
      const path = join(dir, name);
      if (depth === 0) walk(path, 1);
      else if (/^(NEWS|changelog)(\.md)?\.gz$/i.test(name) && statSync(path).isFile()) found.push(path);
    }
  };
  walk('/usr/share/doc', 0);
  return found;
}

const BENCH_CHUNKING = { maxTokens: 128, overlapTokens: 16 };

/** Documents of real text until `wanted` chunks: release notes first, then synthetic windows. */
function* corpusDocuments(words: readonly string[], wanted: number): Generator<{ source: string; chunks: Chunk[] }> {
  let total = 0;
  for (const path of releaseNotes()) {
    if (total >= wanted) return;
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(gunzipSync(readFileSync(path)));
    } catch {
      continue;
    }
    const chunks = chunkText(text, BENCH_CHUNKING).slice(0, wanted - total);
    if (chunks.length === 0) continue;
    total += chunks.length;
    yield { source: path, chunks };
  }
  for (let doc = 0; total < wanted; doc++) {
    const count = Math.min(PER_DOCUMENT, wanted - total);
    const chunks = Array.from({ length: count }, (_, index) => {
      const text = windowText(words, 80);
      return { index, text, hash: sha256(text), tokens: Math.round(80 * 1.3) };
    });
    total += count;
    yield { source: `synthetic-${doc}`, chunks };
  }
}

function sentenceOf(text: string): string {
  const sentences = text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((t) => t.trim())
    .filter((t) => t.split(/\s+/).length >= 6);
  const sentence = sentences.length > 0 ? sentences[Math.floor(random() * sentences.length)]! : text;
  return sentence.split(/\s+/).slice(0, 20).join(' ');
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

try {
  const words = await corpusWords();
  log(`${words.length} words of real text; loading ${CHUNKS} chunks into ${env.LANES_PG_SCHEMA}`);
  await db.withClient(async (client) => {
    for (const { indexname } of (
      await client.query<{ indexname: string }>(
        `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 AND indexdef LIKE '%hnsw%'`,
        [env.LANES_PG_SCHEMA, space.tableName],
      )
    ).rows) {
      await client.query(`DROP INDEX ${db.table(indexname)}`);
    }
  });
  const loadStarted = performance.now();
  const sample: string[] = [];
  let loaded = 0;
  let documents = 0;
  let fromReleaseNotes = 0;
  for (const document of corpusDocuments(words, CHUNKS)) {
    const staged = await store.stage({
      source: document.source,
      metadata: {},
      contentHash: sha256(document.source),
      pages: 1,
      chunks: document.chunks,
      primary: space,
    });
    const vectors = new Map(
      document.chunks.map((chunk) => [chunk.hash, localEmbedding(chunk.text, space.dimensions)] as const),
    );
    await store.writeVectors(space, [...vectors]);
    await store.finalise(staged.documentId, staged.generation, space, [space]);
    for (const chunk of document.chunks) if (random() < (QUERIES * 4) / CHUNKS) sample.push(chunk.text);
    if (Math.floor((loaded + document.chunks.length) / 10_000) > Math.floor(loaded / 10_000))
      log(`${loaded + document.chunks.length} chunks`);
    loaded += document.chunks.length;
    documents += 1;
    if (!document.source.startsWith('synthetic-')) fromReleaseNotes += document.chunks.length;
  }
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  log(
    `loaded in ${loadSeconds.toFixed(1)} s; building HNSW (m=${config.index.m}, ef_construction=${config.index.efConstruction})`,
  );
  const build = await rebuildHnswIndex(db, space, config.index);
  log(`index built in ${(build.durationMs / 1000).toFixed(1)} s`);

  const queries = Array.from({ length: QUERIES }, (_, i) =>
    sentenceOf(sample[(i * 7919) % sample.length] ?? windowText(words, 12)),
  );
  // Warm-up (connections, plans, the first index pages).
  for (const query of queries.slice(0, 10)) await rag.search(`${query} warmup`, 10, { record: false, mode: 'vector' });
  const exactMs: number[] = [];
  const truth: Array<Set<string>> = [];
  for (const query of queries) {
    const started = performance.now();
    const exact = await rag.search(query, 10, { exact: true, mode: 'vector' });
    exactMs.push(performance.now() - started);
    truth.push(new Set(exact.results.map((hit) => `${hit.documentId}:${hit.chunkIndex}`)));
  }
  // End to end through the service at the configured ef_search: result cache miss (each query
  // is new), query embedding, HNSW top-k, join to live chunks, result cache write.
  const annMs: number[] = [];
  let recallSum = 0;
  for (const [i, query] of queries.entries()) {
    const started = performance.now();
    const ann = await rag.search(query, 10, { record: false, mode: 'vector' });
    annMs.push(performance.now() - started);
    const found = ann.results.filter((hit) => truth[i]!.has(`${hit.documentId}:${hit.chunkIndex}`)).length;
    recallSum += truth[i]!.size === 0 ? 1 : found / truth[i]!.size;
  }
  const cached: number[] = [];
  for (const query of queries.slice(0, 50)) {
    const started = performance.now();
    await rag.search(query, 10, { record: false, mode: 'vector' });
    cached.push(performance.now() - started);
  }
  // Other ef_search settings, same queries (result cache bypassed).
  const efSweep: Array<{ efSearch: number; recallAt10: number; p50: number; p95: number }> = [];
  for (const efSearch of [40, 100, 200, 400]) {
    const ms: number[] = [];
    let recall = 0;
    for (const [i, query] of queries.entries()) {
      const started = performance.now();
      const ann = await rag.search(query, 10, { record: false, mode: 'vector', efSearch });
      ms.push(performance.now() - started);
      recall +=
        truth[i]!.size === 0
          ? 1
          : ann.results.filter((hit) => truth[i]!.has(`${hit.documentId}:${hit.chunkIndex}`)).length / truth[i]!.size;
    }
    ms.sort((a, b) => a - b);
    efSweep.push({
      efSearch,
      recallAt10: Math.round((recall / queries.length) * 1000) / 1000,
      p50: Math.round(percentile(ms, 50) * 100) / 100,
      p95: Math.round(percentile(ms, 95) * 100) / 100,
    });
  }
  // Lexical (BM25 in SQL) and hybrid (both lists, fused), each query new in that mode: cache misses.
  const modeMs: Record<string, { p50: number; p95: number }> = {};
  for (const mode of ['lexical', 'hybrid'] as const) {
    const ms: number[] = [];
    for (const query of queries) {
      const started = performance.now();
      await rag.search(query, 10, { record: false, mode });
      ms.push(performance.now() - started);
    }
    ms.sort((a, b) => a - b);
    modeMs[mode] = { p50: Math.round(percentile(ms, 50) * 100) / 100, p95: Math.round(percentile(ms, 95) * 100) / 100 };
  }
  annMs.sort((a, b) => a - b);
  exactMs.sort((a, b) => a - b);
  cached.sort((a, b) => a - b);
  const round = (n: number): number => Math.round(n * 100) / 100;
  const report = {
    chunks: loaded,
    documents,
    chunksFromReleaseNotes: fromReleaseNotes,
    queries: QUERIES,
    dimensions: space.dimensions,
    hnsw: { m: config.index.m, efConstruction: config.index.efConstruction, efSearch: config.search.efSearch },
    loadChunksPerSecond: Math.round(CHUNKS / loadSeconds),
    indexBuildSeconds: round(build.durationMs / 1000),
    searchMs: { p50: round(percentile(annMs, 50)), p95: round(percentile(annMs, 95)), max: round(annMs.at(-1)!) },
    lexicalSearchMs: modeMs.lexical,
    hybridSearchMs: modeMs.hybrid,
    exactSearchMs: { p50: round(percentile(exactMs, 50)), p95: round(percentile(exactMs, 95)) },
    cachedSearchMs: { p50: round(percentile(cached, 50)), p95: round(percentile(cached, 95)) },
    recallAt10: round(recallSum / queries.length),
    efSweep,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  await extractor.close();
  await db.close();
  await rag.close();
  if (values.keep !== true) {
    const client = new pg.Client({ connectionString: config.databaseUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${env.LANES_PG_SCHEMA}" CASCADE`);
    await client.end();
  }
}

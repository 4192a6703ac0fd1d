import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cacheWarming, ingest, rebuildIndex } from '@lanes/contracts';
import { LanesClient } from '@lanes/client';
import {
  Database,
  DocumentStore,
  localEmbedding,
  migrate,
  MIGRATIONS,
  registerSchedules,
  SCHEDULER_IDS,
} from '@lanes/tasks';
import { REDIS_URL } from '../support/env.ts';
import {
  counterValue,
  DATABASE_URL,
  dropRagState,
  FIXTURES,
  ragTestEnv,
  sql,
  startRagWorker,
  type RagWorker,
  type TestEnv,
} from './helpers.ts';

describe('migrations', () => {
  const env = ragTestEnv('migrate');
  after(() => dropRagState(env));

  test('many workers migrating the same fresh schema at once: applied exactly once', async () => {
    const dbs = Array.from(
      { length: 6 },
      () => new Database({ url: DATABASE_URL, schema: env.LANES_PG_SCHEMA!, maxConnections: 1 }),
    );
    try {
      const applied = await Promise.all(dbs.map((db) => migrate(db)));
      assert.deepEqual(
        applied.flat(),
        MIGRATIONS.map((m) => m.version),
      );
      const rows = await sql<{ version: number }>(env, 'SELECT version FROM $schema.lanes_migrations ORDER BY version');
      assert.deepEqual(
        rows.map((row) => row.version),
        MIGRATIONS.map((m) => m.version),
      );
      assert.deepEqual(await migrate(dbs[0]!), [], 'nothing left to do');
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
    }
  });
});

// A passage of the document ingested during the build. (A two-word query is far from every
// vector here; on a graph built mostly from unrelated text, HNSW may not route to an outlier
// document for it, which says nothing about the rebuild.)
const PASSAGE =
  'A sourdough starter is a culture of wild yeast and lactic acid bacteria living in a paste of flour and water.';

async function hnswIndexes(env: TestEnv, table: string): Promise<Array<{ name: string; def: string }>> {
  return sql<{ name: string; def: string }>(
    env,
    `SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 AND indexdef LIKE '%USING hnsw%'`,
    [env.LANES_PG_SCHEMA, table],
  );
}

describe('rebuild-index and caches', () => {
  let env: TestEnv;
  let w: RagWorker;

  before(async () => {
    env = ragTestEnv('index');
    w = await startRagWorker(env);
  });

  after(async () => {
    await w?.close();
    await dropRagState(env);
  });

  test('rebuild-index replaces HNSW and IVFFlat indexes concurrently while ingest and search go on', async (t) => {
    const space = w.rag.spaces.primary;
    // 3000 vectors of texts shaped like real ones (random 50-word windows of the real-world
    // PDFs' text; an HNSW graph over random noise cannot route to real vectors), loaded
    // without an index (a space this small has none yet), then an IVFFlat and a quickly built
    // HNSW index for the rebuild to replace.
    for (const name of ['libtasn1-manual.pdf', 'shared-mime-info-spec.pdf']) {
      await (await w.worker.client.enqueue(ingest, { path: join(FIXTURES, 'pdf', name) })).wait({ timeoutMs: 30_000 });
    }
    const words = (await sql<{ text: string }>(env, 'SELECT text FROM $schema.chunks ORDER BY id')).flatMap((row) =>
      row.text.split(/\s+/),
    );
    assert.deepEqual(await hnswIndexes(env, space.tableName), [], 'no HNSW index below LANES_HNSW_MIN_ROWS');
    const initial = `${space.tableName}_hnsw`;
    let seed = 7;
    const random = (): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 4294967296;
    };
    const entries = Array.from({ length: 3000 }, (_, i) => {
      const start = Math.floor(random() * (words.length - 50));
      return [`bulk-${i}`, localEmbedding(words.slice(start, start + 50).join(' '), space.dimensions)] as const;
    });
    const db = new Database({ url: DATABASE_URL, schema: env.LANES_PG_SCHEMA! });
    await new DocumentStore(db).writeVectors(space, entries).finally(() => db.close());
    t.after(() => sql(env, `DELETE FROM $schema.${space.tableName} WHERE content_hash LIKE 'bulk-%'`));
    await sql(
      env,
      `CREATE INDEX ${space.tableName}_ivf ON $schema.${space.tableName} USING ivfflat (embedding vector_cosine_ops) WITH (lists = 10)`,
    );
    await sql(
      env,
      `CREATE INDEX ${initial} ON $schema.${space.tableName} USING hnsw (embedding vector_cosine_ops) WITH (m = 12, ef_construction = 32)`,
    );
    const before = await sql<{ name: string }>(
      env,
      `SELECT indexname AS name FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 AND indexname <> $3`,
      [env.LANES_PG_SCHEMA, space.tableName, `${space.tableName}_pkey`],
    );
    assert.equal(before.length, 2, 'the initial HNSW index and an IVFFlat one');

    const rebuild = await w.worker.client.enqueue(rebuildIndex, { m: 16, efConstruction: 64 });
    let rebuildDoneAt = 0;
    const rebuilt = rebuild.wait({ timeoutMs: 90_000 }).then((result) => {
      rebuildDoneAt = Date.now();
      return result;
    });
    // Wait until PostgreSQL reports the build, then ingest and search meanwhile.
    const deadline = Date.now() + 20_000;
    while ((await sql(env, 'SELECT 1 FROM pg_stat_progress_create_index')).length === 0) {
      assert.ok(Date.now() < deadline, 'the build started');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const ingested = await (
      await w.worker.client.enqueue(ingest, { path: join(FIXTURES, 'docs', 'sourdough.txt') })
    ).wait({ timeoutMs: 30_000 });
    const ingestDoneAt = Date.now();
    const hits = await w.rag.search(PASSAGE, 3, { record: false });
    assert.equal(hits.results[0]?.documentId, ingested.documentId);

    const result = await rebuilt;
    assert.ok(ingestDoneAt < rebuildDoneAt, 'ingest completed while the index was being built');
    assert.equal(result.skipped, false);
    assert.ok(result.rows >= 3000);
    assert.deepEqual([...result.replacedAll].sort(), before.map((row) => row.name).sort());
    const after = await sql<{ name: string; def: string }>(
      env,
      `SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE schemaname = $1 AND tablename = $2`,
      [env.LANES_PG_SCHEMA, space.tableName],
    );
    const vectorIndexes = after.filter((row) => /USING (hnsw|ivfflat)/.test(row.def));
    assert.equal(vectorIndexes.length, 1);
    assert.equal(vectorIndexes[0]!.name, result.index);
    assert.match(vectorIndexes[0]!.def, /USING hnsw .*m='?16'?.*ef_construction='?64'?/);
    assert.equal(await counterValue(w.metrics, 'lanes_index_build_progress', { index: space.tableName }), 1);
    const status = await w.worker.client.status(rebuild.id);
    assert.equal((status.progress as { index?: string }).index, space.tableName);
    // Search still works on the new index.
    const afterHits = await w.rag.search(PASSAGE, 3, { record: false });
    assert.equal(afterHits.results[0]?.documentId, ingested.documentId);
  });

  test('a space below LANES_HNSW_MIN_ROWS has no HNSW index (exact search); batch-embed builds it once the space reaches that size', async () => {
    const sized = ragTestEnv('index-size', { LANES_HNSW_MIN_ROWS: '40' });
    const small = await startRagWorker(sized);
    try {
      const table = small.rag.spaces.primary.tableName;
      const first = await (
        await small.worker.client.enqueue(ingest, { path: join(FIXTURES, 'docs', 'sourdough.txt') })
      ).wait({ timeoutMs: 30_000 });
      assert.deepEqual(await hnswIndexes(sized, table), []);
      assert.equal(
        (await small.rag.search(PASSAGE, 3, { record: false })).results[0]?.documentId,
        first.documentId,
        'exact search finds it',
      );
      const pdf = await (
        await small.worker.client.enqueue(ingest, { path: join(FIXTURES, 'pdf', 'libtasn1-manual.pdf') })
      ).wait({ timeoutMs: 60_000 });
      assert.ok(
        first.chunks < 40 && first.chunks + pdf.chunks >= 40,
        `the PDF takes the space past 40 vectors (${first.chunks} + ${pdf.chunks})`,
      );
      const built = await hnswIndexes(sized, table);
      assert.equal(built.length, 1, 'one HNSW index, built once');
      assert.match(built[0]!.def, /USING hnsw .*m='?16'?.*ef_construction='?64'?/);
      assert.equal(
        (await small.rag.search(PASSAGE, 3, { record: false })).results[0]?.documentId,
        first.documentId,
        'search through the index finds it',
      );
    } finally {
      await small.close();
      await dropRagState(sized);
    }
  });

  test('cache-warming caches the most frequent recent queries; a corpus change invalidates them', async () => {
    await (await w.worker.client.enqueue(ingest, { path: join(FIXTURES, 'docs', 'tide-pools.txt') })).wait({
      timeoutMs: 30_000,
    });
    const queries: Array<[string, number]> = [
      ['sea urchins scraping algae', 3],
      ['hermit crab shells', 2],
      ['starfish eating mussels', 1],
    ];
    for (const [query, times] of queries) for (let i = 0; i < times; i++) await w.rag.search(query, 5);
    // A new document changes the corpus: everything cached so far is stale.
    await (
      await w.worker.client.enqueue(ingest, {
        text: 'Sea urchins scraping algae off rocks leave bare patches called urchin barrens.',
        source: 'urchins',
      })
    ).wait({
      timeoutMs: 30_000,
    });

    const first = await (await w.worker.client.enqueue(cacheWarming, { top: 2 })).wait({ timeoutMs: 30_000 });
    assert.deepEqual(first, { warmed: 2, alreadyWarm: 0 }, 'the two most frequent queries');
    const second = await (await w.worker.client.enqueue(cacheWarming, {})).wait({ timeoutMs: 30_000 });
    assert.deepEqual(second, { warmed: 1, alreadyWarm: 2 });

    const hitsBefore = await histogramCount(w, 'hit');
    const warmed = await w.rag.search('sea urchins scraping algae', 5);
    assert.equal(warmed.results[0]?.source, 'urchins', 'the warmed result already reflects the new document');
    assert.equal(await histogramCount(w, 'hit'), hitsBefore + 1, 'served from the warmed cache');

    await (
      await w.worker.client.enqueue(ingest, {
        text: 'Hermit crab shells are traded in vacancy chains, largest crab first.',
        source: 'crabs',
      })
    ).wait({
      timeoutMs: 30_000,
    });
    const fresh = await w.rag.search('hermit crab shells', 5);
    assert.equal(fresh.results[0]?.source, 'crabs', 'no stale cached result after the corpus changed');
  });

  test('search through the critical lane returns the contract shape', async () => {
    const response = await w.worker.client.search('tide pool inhabitants', { k: 2 });
    assert.equal(response.query, 'tide pool inhabitants');
    assert.ok(response.results.length > 0 && response.results.length <= 2);
    const hit = response.results[0]!;
    assert.deepEqual(Object.keys(hit).sort(), [
      'chunkIndex',
      'documentId',
      'heading',
      'page',
      'score',
      'scores',
      'source',
      'text',
    ]);
    const lexical = await w.worker.client.search('tide pool inhabitants', {
      k: 2,
      mode: 'lexical',
      filter: { sourcePrefix: hit.source },
    });
    assert.ok(
      lexical.results.length > 0 &&
        lexical.results.every((r) => r.source === hit.source && Object.keys(r.scores).join() === 'lexical'),
    );
  });

  test('schedules are registered once however many workers start', async () => {
    const clients = Array.from({ length: 3 }, () => new LanesClient({ redisUrl: REDIS_URL, prefix: env.LANES_PREFIX }));
    try {
      const options = { rebuildIndexCron: '0 3 * * *', cacheWarmingCron: '*/10 * * * *', reconcileCron: '*/5 * * * *' };
      await Promise.all([...clients, ...clients].map((client) => registerSchedules(client, options)));
      const schedulers = await clients[0]!.queues.get('low').getJobSchedulers();
      assert.deepEqual(
        schedulers.map((s) => s.key).sort(),
        [SCHEDULER_IDS.cacheWarming, SCHEDULER_IDS.rebuildIndex, SCHEDULER_IDS.reconcile].sort(),
      );
      assert.equal(schedulers.find((s) => s.key === SCHEDULER_IDS.rebuildIndex)?.pattern, '0 3 * * *');
      await registerSchedules(clients[1]!, { ...options, cacheWarmingCron: undefined, reconcileCron: undefined });
      const left = await clients[0]!.queues.get('low').getJobSchedulers();
      assert.deepEqual(
        left.map((s) => s.key),
        [SCHEDULER_IDS.rebuildIndex],
      );
      await registerSchedules(clients[1]!, {
        rebuildIndexCron: undefined,
        cacheWarmingCron: undefined,
        reconcileCron: undefined,
      });
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  });
});

/** Observations of the search latency histogram for one cache outcome. */
async function histogramCount(w: RagWorker, cache: string): Promise<number> {
  const metric = w.metrics.registry.getSingleMetric('lanes_search_duration_seconds');
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  const found = values.find(
    (value) =>
      (value as { metricName?: string }).metricName === 'lanes_search_duration_seconds_count' &&
      value.labels.cache === cache,
  );
  return found?.value ?? 0;
}

import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { PermanentError, ingest } from '@lanes/contracts';
import { LanesMetrics } from '@lanes/worker-core';
import { createRagRuntime, EmbeddingRejectedError, type Embedder, type RagRuntime } from '@lanes/tasks';
import { createHash } from 'node:crypto';
import { FakeOpenAIServer } from '../support/fake-openai-server.ts';
import { counterValue, dropRagState, openaiEnv, ragTestEnv, sql, startRagWorker, type TestEnv } from './helpers.ts';

const SMALL = 'text-embedding-3-small';
const LARGE = 'text-embedding-3-large';

function item(text: string): { hash: string; text: string } {
  return { hash: createHash('sha256').update(text).digest('hex'), text };
}

describe('embeddings', () => {
  const server = new FakeOpenAIServer();
  let env: TestEnv;
  const opened: RagRuntime[] = [];

  /** One process's embedding stack, as the worker builds it, with its own metrics registry. */
  const services = async (
    extra: TestEnv = {},
  ): Promise<{ rag: RagRuntime; embedder: Embedder; metrics: LanesMetrics }> => {
    const metrics = new LanesMetrics({ defaultMetrics: false });
    const rag = await createRagRuntime({ env: { ...env, ...extra }, metrics });
    opened.push(rag);
    return { rag, embedder: (await rag.embedding()).embedder, metrics };
  };

  before(async () => {
    await server.start();
    env = ragTestEnv('embed', openaiEnv(server, { LANES_EMBED_MAX_ATTEMPTS: '4' }));
  });

  beforeEach(() => server.reset());

  after(async () => {
    await Promise.all(opened.map((s) => s.close()));
    await dropRagState(env);
    await server.stop();
  });

  test('the Redis cache answers repeated texts: hits counted, no second API call', async () => {
    const s = await services();
    const texts = [item('cache me once'), item('and me too')];
    const first = await s.embedder.embed(texts);
    assert.equal(first.cacheHits, 0);
    assert.equal(server.calls(), 1);
    const second = await s.embedder.embed(texts);
    assert.equal(second.cacheHits, 2);
    assert.equal(server.calls(), 1, 'served from the cache');
    assert.deepEqual(second.vectors.get(texts[0]!.hash)!.vector, first.vectors.get(texts[0]!.hash)!.vector);
    assert.equal(await counterValue(s.metrics, 'lanes_embedding_cache_hits_total'), 2);
    assert.equal(await counterValue(s.metrics, 'lanes_embedding_cache_misses_total'), 2);
    assert.ok((await counterValue(s.metrics, 'lanes_embedding_tokens_total', { model: SMALL })) > 0);
    assert.ok((await counterValue(s.metrics, 'lanes_embedding_cost_usd_total', { model: SMALL })) > 0);
    assert.equal(await counterValue(s.metrics, 'lanes_embedding_batches_total', { model: SMALL, outcome: 'ok' }), 1);
  });

  test('single-flight: two embedders asking for the same texts at once make one API call per text', async () => {
    const [a, b] = [await services(), await services()];
    server.inject({ kind: 'slow', times: 1, delayMs: 400 });
    const same = item('two workers want this text at the same moment');
    const [ra, rb] = await Promise.all([a.embedder.embed([same]), b.embedder.embed([same])]);
    assert.equal(server.timesEmbedded(same.text, SMALL), 1);
    assert.deepEqual(ra.vectors.get(same.hash)!.vector, rb.vectors.get(same.hash)!.vector);

    server.reset();
    server.inject({ kind: 'slow', times: 2, delayMs: 200 });
    const left = Array.from({ length: 10 }, (_, i) => item(`overlapping text ${i}`));
    const right = Array.from({ length: 10 }, (_, i) => item(`overlapping text ${i + 5}`));
    await Promise.all([a.embedder.embed(left), b.embedder.embed(right)]);
    for (let i = 0; i < 15; i++) assert.equal(server.timesEmbedded(`overlapping text ${i}`, SMALL), 1, `text ${i}`);
  });

  test('batches respect the API limits: 2048 inputs and 300k tokens per request, 8192 per input', async () => {
    const s = await services({ LANES_EMBED_BATCH_SIZE: '2048' });
    const many = Array.from({ length: 2500 }, (_, i) => item(`short text number ${i}`));
    await s.embedder.embed(many);
    assert.equal(server.countStatus(400), 0);
    assert.deepEqual(
      server.requests.map((r) => r.inputs),
      [2048, 452],
    );

    server.reset();
    // 40 inputs of ~8000 tokens: 320k tokens, more than one request may carry.
    const big = Array.from({ length: 40 }, (_, i) => item(`${i} ${'token '.repeat(7990)}`));
    await s.embedder.embed(big);
    assert.equal(server.countStatus(400), 0);
    assert.ok(server.calls() >= 2, 'split by the per-request token limit');

    server.reset();
    const huge = item('word '.repeat(9000));
    const result = await s.embedder.embed([huge]);
    assert.equal(server.countStatus(400), 0, 'an over-long input is cut to 8192 tokens, not sent as is');
    assert.ok(result.vectors.has(huge.hash));
  });

  test('429 with retry-after, 500s, malformed replies and hung requests are retried', async () => {
    const s = await services({ LANES_EMBED_TIMEOUT_MS: '400' });
    server.inject({ kind: 'rate-limit', times: 2, delayMs: 150 });
    const started = Date.now();
    await s.embedder.embed([item('retry after a rate limit')]);
    assert.ok(Date.now() - started >= 280, 'waited as retry-after-ms said');
    assert.equal(server.countStatus(429), 2);

    server.inject({ kind: 'server-error', times: 2 });
    await s.embedder.embed([item('retry after server errors')]);
    assert.equal(server.countStatus(500), 2);

    server.inject({ kind: 'malformed-json', times: 1 });
    await s.embedder.embed([item('retry after a garbled reply')]);

    server.inject({ kind: 'hang', times: 1 });
    await s.embedder.embed([item('retry after a hung request')]);
    assert.equal(server.calls(), 4);
    assert.ok((await counterValue(s.metrics, 'lanes_embedding_batches_total', { outcome: 'retry' })) >= 6);
  });

  test('insufficient_quota is permanent: one request, no retries, a PermanentError', async () => {
    const s = await services();
    server.inject({ kind: 'insufficient-quota', times: 5 });
    await assert.rejects(s.embedder.embed([item('no money left')]), (error: unknown) => {
      assert.ok(error instanceof EmbeddingRejectedError && error instanceof PermanentError);
      assert.match(error.message, /quota/);
      return true;
    });
    assert.equal(server.requests.length, 1);
  });

  test('the fallback model steps in when the primary stays down, and its vectors are labelled with its own space', async () => {
    const s = await services({ EMBEDDING_FALLBACK_MODEL: LARGE, LANES_EMBED_MAX_ATTEMPTS: '2' });
    server.inject({ kind: 'server-error', times: Infinity, model: SMALL });
    const result = await s.embedder.embed([item('primary is down')]);
    const vector = [...result.vectors.values()][0]!;
    assert.equal(vector.provider.model, LARGE);
    assert.equal(server.countStatus(500), 2, 'the primary had its attempts');
    assert.equal(server.calls(LARGE), 1);
    assert.notEqual(s.rag.spaces.fallback?.tableName, s.rag.spaces.primary.tableName);

    server.reset();
    const missing = await services({ EMBEDDING_MODEL: 'text-embedding-retired', EMBEDDING_FALLBACK_MODEL: SMALL });
    const fallback = await missing.embedder.embed([item('the primary model does not exist')]);
    assert.equal([...fallback.vectors.values()][0]!.provider.model, SMALL);
    assert.equal(server.countStatus(404), 1, 'an unknown model is not retried');
  });
});

describe('embedding spaces end to end', () => {
  const server = new FakeOpenAIServer();
  let env: TestEnv;

  before(async () => {
    await server.start();
    env = ragTestEnv('spaces', openaiEnv(server, { EMBEDDING_FALLBACK_MODEL: LARGE, LANES_EMBED_MAX_ATTEMPTS: '2' }));
  });

  after(async () => {
    await dropRagState(env);
    await server.stop();
  });

  test('ingest during a primary outage lands in the fallback space, is searchable, and moves to the primary once it recovers', async () => {
    const w = await startRagWorker(env);
    try {
      const primaryTable = w.rag.spaces.primary.tableName;
      const fallbackTable = w.rag.spaces.fallback!.tableName;
      server.inject({ kind: 'server-error', times: Infinity, model: SMALL });
      const text = 'Kelp forests shelter sea otters, which eat urchins and so protect the kelp.';
      const first = await (await w.worker.client.enqueue(ingest, { text, source: 'kelp' })).wait({ timeoutMs: 30_000 });
      assert.equal(first.chunks, 1);
      const count = async (table: string): Promise<number> =>
        (await sql<{ n: number }>(env, `SELECT count(*)::int AS n FROM $schema.${table}`))[0]!.n;
      assert.equal(await count(primaryTable), 0);
      assert.equal(await count(fallbackTable), 1);
      // The primary is still down: the query is embedded by the fallback and searched in its space.
      const during = await w.rag.search('sea otters in kelp forests', 3);
      assert.equal(during.results[0]?.source, 'kelp');

      server.clearFaults();
      const after = await w.rag.search('otters protect kelp by eating urchins', 3);
      assert.equal(
        after.results[0]?.source,
        'kelp',
        'found through the fallback space while the primary query works again',
      );

      server.reset();
      const again = await (await w.worker.client.enqueue(ingest, { text, source: 'kelp' })).wait({ timeoutMs: 30_000 });
      assert.equal(again.embedded, 1, 'a document with only fallback vectors is re-embedded by the primary');
      assert.equal(server.calls(SMALL), 1);
      assert.equal(await count(primaryTable), 1);
      assert.equal(await count(fallbackTable), 0, 'the fallback copy is retired');
    } finally {
      await w.close();
    }
  });

  test('changing dimensions opens a new space: nothing is mixed, and re-ingesting re-embeds into it', async () => {
    const a = await startRagWorker(env);
    const text = 'Lighthouses use Fresnel lenses to throw their beam far out to sea.';
    let tableA: string;
    try {
      tableA = a.rag.spaces.primary.tableName;
      await (await a.worker.client.enqueue(ingest, { text, source: 'lighthouse' })).wait({ timeoutMs: 30_000 });
    } finally {
      await a.close();
    }
    const b = await startRagWorker({ ...env, EMBEDDING_DIMENSIONS: '128' });
    try {
      const tableB = b.rag.spaces.primary.tableName;
      assert.notEqual(tableB, tableA);
      const columns = await sql<{ dims: number }>(
        env,
        `SELECT atttypmod AS dims FROM pg_attribute WHERE attrelid = '$schema.${tableB}'::regclass AND attname = 'embedding'`,
      );
      assert.equal(columns[0]!.dims, 128);
      const again = await (await b.worker.client.enqueue(ingest, { text, source: 'lighthouse' })).wait({
        timeoutMs: 30_000,
      });
      assert.equal(again.embedded, 1, 'the new space had no vector for it');
      const hits = await b.rag.search('Fresnel lens beam', 1);
      assert.equal(hits.results[0]?.source, 'lighthouse');
      const docs = await sql<{ n: number }>(
        env,
        `SELECT count(*)::int AS n FROM $schema.documents WHERE source = 'lighthouse'`,
      );
      assert.equal(docs[0]!.n, 1);
    } finally {
      await b.close();
    }
  });
});

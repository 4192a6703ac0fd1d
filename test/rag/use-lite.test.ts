import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ingest } from '@lanes/contracts';
import { loadRagConfig, USE_LITE_MODEL, UseLiteEmbeddingProvider } from '@lanes/tasks';
import { dropRagState, ragTestEnv, sql, startRagWorker, type RagWorker, type TestEnv } from './helpers.ts';

const cosine = (a: Float32Array, b: Float32Array): number => a.reduce((sum, value, i) => sum + value * b[i]!, 0);

describe('use-lite: Universal Sentence Encoder lite as a local model, in threads', () => {
  let env: TestEnv;
  let w: RagWorker;

  before(async () => {
    env = ragTestEnv('uselite', {
      EMBEDDING_PROVIDER: 'local',
      EMBEDDING_MODEL: USE_LITE_MODEL,
      LANES_LOCAL_MODEL_THREADS: '1',
    });
    w = await startRagWorker(env);
  });

  after(async () => {
    await w?.close();
    await dropRagState(env);
  });

  test('a worker that has not embedded yet has started no model thread', async () => {
    const provider = (await w.rag.embedding()).primary;
    assert.ok(provider instanceof UseLiteEmbeddingProvider);
    assert.equal(provider.threadsStarted, 0);
  });

  test('config: use-lite has 512 dimensions and refuses any other size', () => {
    assert.equal(loadRagConfig(env).embedding.dimensions, 512);
    assert.throws(() => loadRagConfig({ ...env, EMBEDDING_DIMENSIONS: '384' }), /EMBEDDING_DIMENSIONS/);
    assert.throws(() => loadRagConfig({ ...env, EMBEDDING_MODEL: 'use-large' }), /EMBEDDING_MODEL.*use-lite/);
  });

  test('512-d unit vectors, the same on every call, a paraphrase nearer than an unrelated sentence', async () => {
    const provider = (await w.rag.embedding()).primary;
    assert.ok(provider instanceof UseLiteEmbeddingProvider);
    const texts = [
      'How can I make a pipeline fail when any of its commands fails?',
      'A pipeline returns an error status if one of the commands in it exits with an error.',
      'Otters crack open shellfish with stones while floating on their backs.',
    ];
    const counts = texts.map(() => 10);
    const first = await provider.embedBatch(texts, counts, undefined);
    const second = await provider.embedBatch(texts, counts, undefined);
    assert.equal(provider.threadsStarted, 1, 'LANES_LOCAL_MODEL_THREADS=1: one thread, reused');
    assert.equal(first.vectors.length, 3);
    for (const [i, vector] of first.vectors.entries()) {
      assert.equal(vector.length, 512);
      assert.ok(Math.abs(Math.hypot(...vector) - 1) < 1e-5, 'unit length');
      assert.deepEqual(vector, second.vectors[i], 'deterministic');
    }
    const [question, paraphrase, unrelated] = first.vectors as [Float32Array, Float32Array, Float32Array];
    assert.ok(
      cosine(question, paraphrase) > cosine(question, unrelated) + 0.2,
      `${cosine(question, paraphrase)} vs ${cosine(question, unrelated)}`,
    );
  });

  test('an aborted call returns at once and the thread stays usable', async () => {
    const provider = (await w.rag.embedding()).primary;
    const many = Array.from({ length: 64 }, (_, i) => `sentence number ${i} about lighthouses and their lenses`);
    const controller = new AbortController();
    const pending = provider.embedBatch(
      many,
      many.map(() => 8),
      controller.signal,
    );
    controller.abort(new Error('stop'));
    await assert.rejects(pending, /stop/);
    const after = await provider.embedBatch(['still works'], [2], undefined);
    assert.equal(after.vectors[0]!.length, 512);
  });

  test('ingest and search end to end, in a space of its own', async () => {
    const docs = {
      otters:
        'Sea otters float on their backs and use stones to break open clams and urchins. They live in kelp forests along the Pacific coast.',
      lighthouse:
        'A lighthouse uses a Fresnel lens to throw its beam far out to sea, warning ships away from rocks at night.',
      bread: 'To bake bread, knead the dough until it is elastic, let it rise for an hour, then bake it in a hot oven.',
    };
    for (const [source, text] of Object.entries(docs))
      await (await w.worker.client.enqueue(ingest, { text, source })).wait({ timeoutMs: 60_000 });
    const space = w.rag.spaces.primary;
    assert.deepEqual([space.provider, space.model, space.dimensions], ['local', USE_LITE_MODEL, 512]);
    const [row] = await sql<{ n: number }>(env, `SELECT count(*)::int AS n FROM $schema.${space.tableName}`);
    assert.equal(row!.n, 3);
    // Shares no content word with the answer: only a semantic model finds it by vector.
    const hit = await w.rag.search('which animal uses tools to eat shellfish', 1, { mode: 'vector', record: false });
    assert.equal(hit.results[0]?.source, 'otters');
    // No term in common with any document: hybrid search still answers, from the vector list.
    const hybrid = await w.rag.search('tower guiding vessels', 1, { record: false });
    assert.equal(hybrid.results[0]?.source, 'lighthouse');
  });
});

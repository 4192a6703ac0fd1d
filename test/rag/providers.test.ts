import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, ingest } from '@lanes/contracts';
import {
  loadRagConfig,
  localEmbedding,
  registerEmbeddingProvider,
  type EmbeddingProvider,
  type EmbeddingProviderAdapter,
} from '@lanes/tasks';
import {
  counterValue,
  dropRagState,
  ragTestEnv,
  sql,
  startRagWorker,
  type RagWorker,
  type TestEnv,
} from './helpers.ts';

/** A provider of the test's own: word hashing of the reversed text, 64 dims fixed, priced, no fail-over. */
const mirror: EmbeddingProviderAdapter = {
  name: 'mirror',
  defaultModel: 'mirror-v1',
  model: (name) => {
    if (name !== 'mirror-v1')
      throw new ConfigError('EMBEDDING_MODEL', `must be "mirror-v1" with EMBEDDING_PROVIDER=mirror, got "${name}"`);
    return { defaultDimensions: 64, fixedDimensions: true };
  },
  failsOver: false,
  usdPerMillionTokens: () => 1,
  create: async (model, { config, metrics }): Promise<EmbeddingProvider> => ({
    provider: 'mirror',
    model,
    dimensions: config.dimensions,
    limits: { maxInputs: 64, maxTokensPerRequest: 100_000, maxTokensPerInput: 8192 },
    embedBatch: async (inputs, tokenCounts) => {
      const tokens = tokenCounts.reduce((sum, count) => sum + count, 0);
      metrics.billed('mirror', model, tokens);
      return {
        vectors: inputs.map((input) => localEmbedding([...input].reverse().join(''), config.dimensions)),
        tokens,
      };
    },
  }),
};

registerEmbeddingProvider(mirror);

describe('embedding providers are adapters in a registry', () => {
  let env: TestEnv;
  let w: RagWorker;

  before(async () => {
    env = ragTestEnv('providers', { EMBEDDING_PROVIDER: 'mirror' });
    w = await startRagWorker(env);
  });

  after(async () => {
    await w?.close();
    await dropRagState(env);
  });

  test('a registered provider is chosen with EMBEDDING_PROVIDER and validated by its own adapter', () => {
    const config = loadRagConfig(env).embedding;
    assert.deepEqual([config.provider, config.model, config.dimensions], ['mirror', 'mirror-v1', 64]);
    assert.throws(() => loadRagConfig({ ...env, EMBEDDING_MODEL: 'mirror-v2' }), /EMBEDDING_MODEL.*mirror-v1/);
    assert.throws(() => loadRagConfig({ ...env, EMBEDDING_DIMENSIONS: '32' }), /EMBEDDING_DIMENSIONS.*64/);
    assert.throws(
      () => loadRagConfig({ ...env, EMBEDDING_FALLBACK_MODEL: 'other' }),
      /EMBEDDING_FALLBACK_MODEL.*mirror/,
    );
    assert.throws(
      () => loadRagConfig({ ...env, EMBEDDING_PROVIDER: 'nobody' }),
      /EMBEDDING_PROVIDER must be one of local, openai, mirror/,
    );
    assert.throws(() => registerEmbeddingProvider(mirror), /registered already/);
  });

  test('ingest and vector search run on it, in its own space, billed at its price', async () => {
    const text = 'Lighthouse keepers trimmed the wicks every night.';
    const result = await (await w.worker.client.enqueue(ingest, { text, source: 'keepers.txt' })).wait({
      timeoutMs: 30_000,
    });
    assert.equal(result.embedded, 1);
    const spaces = await sql<{ provider: string; model: string; dimensions: number }>(
      env,
      'SELECT provider, model, dimensions FROM $schema.embedding_spaces',
    );
    assert.deepEqual(spaces, [{ provider: 'mirror', model: 'mirror-v1', dimensions: 64 }]);
    const stored = await sql<{ n: number }>(
      env,
      `SELECT count(*)::int AS n FROM $schema.${w.rag.spaces.primary.tableName}`,
    );
    assert.equal(stored[0]!.n, 1);
    const hit = (await w.rag.search(text, 1, { mode: 'vector', record: false })).results[0]!;
    assert.equal(hit.source, 'keepers.txt');
    assert.ok(hit.scores.vector! > 0.99, `the same text is its own nearest vector (${hit.scores.vector})`);
    assert.ok((await counterValue(w.metrics, 'lanes_embedding_cost_usd_total', { provider: 'mirror' })) > 0);
  });
});

import type { Redis } from 'ioredis';
import { RateBudget, type Logger } from '@lanes/worker-core';
import type { EmbeddingConfig } from '../config.ts';
import type { RagKeys } from '../redis-keys.ts';
import { Embedder } from './embedder.ts';
import { EmbeddingCache } from './embedding-cache.ts';
import type { EmbeddingMetrics } from './metrics.ts';
import type { EmbeddingProvider } from './provider.ts';
import { embeddingProviderAdapter } from './providers.ts';

/** The configured models and the embedder over them (cache, single-flight, fail-over). */
export interface Embedding {
  readonly embedder: Embedder;
  readonly primary: EmbeddingProvider;
  readonly fallback: EmbeddingProvider | undefined;
  close(): Promise<void>;
}

export interface EmbeddingDeps {
  readonly redis: Redis;
  readonly keys: RagKeys;
  /** The hash-tagged key prefix the cache's keys live under. */
  readonly prefix: string;
  readonly metrics: EmbeddingMetrics;
  readonly logger: Logger;
}

/** Builds the configured provider's models (EMBEDDING_MODEL, EMBEDDING_FALLBACK_MODEL) through its adapter. */
export async function createEmbedding(config: EmbeddingConfig, deps: EmbeddingDeps): Promise<Embedding> {
  const adapter = embeddingProviderAdapter(config.provider);
  if (adapter === undefined) throw new TypeError(`embedding provider "${config.provider}" is not registered`);
  const context = {
    config,
    metrics: deps.metrics,
    logger: deps.logger,
    budget: (model: string) =>
      new RateBudget(deps.redis, deps.keys.embedBudget(config.provider, model), {
        requests: { capacity: config.budget.requests, perMs: config.budget.windowMs },
        tokens: { capacity: config.budget.tokens, perMs: config.budget.windowMs },
      }),
  };
  const primary = await adapter.create(config.model, context);
  const fallback = config.fallbackModel === undefined ? undefined : await adapter.create(config.fallbackModel, context);
  const embedder = new Embedder({
    primary,
    fallback,
    cache: new EmbeddingCache(deps.redis, deps.prefix, config.cacheTtlSeconds),
    metrics: deps.metrics,
    logger: deps.logger,
    batchSize: config.batchSize,
  });
  return {
    embedder,
    primary,
    fallback,
    close: async () => {
      await Promise.all([primary.close?.(), fallback?.close?.()]);
    },
  };
}

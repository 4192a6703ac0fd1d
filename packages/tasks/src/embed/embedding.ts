import type { Redis } from 'ioredis';
import { RateBudget, type Logger } from '@lanes/worker-core';
import type { EmbeddingConfig } from '../config.ts';
import type { RagKeys } from '../redis-keys.ts';
import { Embedder } from './embedder.ts';
import { EmbeddingCache } from './embedding-cache.ts';
import type { EmbeddingMetrics } from './metrics.ts';
import type { EmbeddingProvider } from './provider.ts';
import { embeddingProviderAdapter, type EmbeddingProviderAdapter, type ProviderContext } from './providers.ts';
import type { SpaceIdentity } from '../store/embedding-spaces.ts';

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

/** One model and the embedder over it alone (no fail-over): a space other than the configured ones (a migration's). */
export interface SpaceModel {
  readonly provider: EmbeddingProvider;
  readonly embedder: Embedder;
}

/** What an adapter builds a model with: the settings (of the space's size), the shared budget, metrics and logger. */
function providerContext(config: EmbeddingConfig, deps: EmbeddingDeps): ProviderContext {
  return {
    config,
    metrics: deps.metrics,
    logger: deps.logger,
    budget: (model: string) =>
      new RateBudget(deps.redis, deps.keys.embedBudget(config.provider, model), {
        requests: { capacity: config.budget.requests, perMs: config.budget.windowMs },
        tokens: { capacity: config.budget.tokens, perMs: config.budget.windowMs },
      }),
  };
}

function adapterOf(provider: string): EmbeddingProviderAdapter {
  const adapter = embeddingProviderAdapter(provider);
  if (adapter === undefined) throw new TypeError(`embedding provider "${provider}" is not registered`);
  return adapter;
}

function embedderOver(
  config: EmbeddingConfig,
  deps: EmbeddingDeps,
  primary: EmbeddingProvider,
  fallback: EmbeddingProvider | undefined,
): Embedder {
  return new Embedder({
    primary,
    fallback,
    cache: new EmbeddingCache(deps.redis, deps.prefix, config.cacheTtlSeconds),
    metrics: deps.metrics,
    logger: deps.logger,
    batchSize: config.batchSize,
  });
}

/** Builds the configured provider's models (EMBEDDING_MODEL, EMBEDDING_FALLBACK_MODEL) through its adapter. */
export async function createEmbedding(config: EmbeddingConfig, deps: EmbeddingDeps): Promise<Embedding> {
  const adapter = adapterOf(config.provider);
  const context = providerContext(config, deps);
  const primary = await adapter.create(config.model, context);
  const fallback = config.fallbackModel === undefined ? undefined : await adapter.create(config.fallbackModel, context);
  return {
    embedder: embedderOver(config, deps, primary, fallback),
    primary,
    fallback,
    close: async () => {
      await Promise.all([primary.close?.(), fallback?.close?.()]);
    },
  };
}

/**
 * The model of any space through its provider's adapter, with the configured settings but the
 * space's model and size; on the shared cache, rate budget and cost accounting.
 */
export async function createSpaceModel(
  config: EmbeddingConfig,
  space: SpaceIdentity,
  deps: EmbeddingDeps,
): Promise<SpaceModel> {
  const settings: EmbeddingConfig = {
    ...config,
    provider: space.provider,
    model: space.model,
    dimensions: space.dimensions,
    fallbackModel: undefined,
  };
  const provider = await adapterOf(space.provider).create(space.model, providerContext(settings, deps));
  return { provider, embedder: embedderOver(settings, deps, provider, undefined) };
}

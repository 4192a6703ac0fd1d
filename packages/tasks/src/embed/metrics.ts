import type { Counter } from 'prom-client';
import type { LanesMetrics } from '@lanes/worker-core';
import { estimateCostUsd } from './providers.ts';
import type { EmbeddingUsage } from './usage.ts';

/** The embedding metric families; the dashboard's overview reads them by these names. */
export const EMBEDDING_METRIC_NAMES = {
  batches: 'lanes_embedding_batches_total',
  tokens: 'lanes_embedding_tokens_total',
  cost: 'lanes_embedding_cost_usd_total',
  cacheHits: 'lanes_embedding_cache_hits_total',
  cacheMisses: 'lanes_embedding_cache_misses_total',
} as const;

export type BatchOutcome = 'ok' | 'retry' | 'failed' | 'fallback';

/** The embedding metrics, registered once per process registry (labels: provider, model). */
export class EmbeddingMetrics {
  readonly batches: Counter<'provider' | 'model' | 'outcome'>;
  readonly tokens: Counter<'provider' | 'model'>;
  readonly cost: Counter<'provider' | 'model'>;
  readonly cacheHits: Counter<'provider' | 'model'>;
  readonly cacheMisses: Counter<'provider' | 'model'>;
  readonly #usage: EmbeddingUsage | undefined;

  /** `usage` also keeps tokens and cost per day in Redis, for the dashboard's chart. */
  constructor(metrics: LanesMetrics, usage?: EmbeddingUsage) {
    this.#usage = usage;
    this.batches = metrics.counter(
      EMBEDDING_METRIC_NAMES.batches,
      'Embedding provider requests by outcome (ok, retry, failed, fallback)',
      ['provider', 'model', 'outcome'],
    );
    this.tokens = metrics.counter(EMBEDDING_METRIC_NAMES.tokens, 'Tokens sent to embedding providers', [
      'provider',
      'model',
    ]);
    this.cost = metrics.counter(
      EMBEDDING_METRIC_NAMES.cost,
      'Estimated embedding spend in USD (price table per model)',
      ['provider', 'model'],
    );
    this.cacheHits = metrics.counter(
      EMBEDDING_METRIC_NAMES.cacheHits,
      'Texts whose vector came from the Redis embedding cache',
      ['provider', 'model'],
    );
    this.cacheMisses = metrics.counter(
      EMBEDDING_METRIC_NAMES.cacheMisses,
      'Texts not found in the Redis embedding cache',
      ['provider', 'model'],
    );
  }

  batch(provider: string, model: string, outcome: BatchOutcome): void {
    this.batches.inc({ provider, model, outcome });
  }

  billed(provider: string, model: string, tokens: number): void {
    this.tokens.inc({ provider, model }, tokens);
    const cost = estimateCostUsd(provider, model, tokens);
    if (cost > 0) this.cost.inc({ provider, model }, cost);
    // Best effort: a usage counter must never fail the embedding it counts.
    if (tokens > 0) void this.#usage?.record(tokens, cost).catch(() => undefined);
  }
}

import type { Logger, RateBudget } from '@lanes/worker-core';
import type { EmbeddingConfig } from '../config.ts';
import { localProvider } from './local-models.ts';
import type { EmbeddingMetrics } from './metrics.ts';
import { openaiProvider } from './openai-adapter.ts';
import type { EmbeddingProvider } from './provider.ts';

/** What an adapter is given to build one model's provider. */
export interface ProviderContext {
  readonly config: EmbeddingConfig;
  readonly metrics: EmbeddingMetrics;
  readonly logger: Logger;
  /** The request and token budget of one model (LANES_EMBED_RPM/TPM), shared by every process. */
  budget(model: string): RateBudget;
}

/** A model's vector size: the default when EMBEDDING_DIMENSIONS is unset, and whether it is the only one. */
export interface ModelShape {
  readonly defaultDimensions: number;
  readonly fixedDimensions: boolean;
}

/**
 * One embedding provider, chosen with EMBEDDING_PROVIDER=name: its models, its settings and
 * how to build a model's provider. Everything provider-specific lives behind this.
 */
export interface EmbeddingProviderAdapter {
  readonly name: string;
  /** The model when EMBEDDING_MODEL is unset. */
  readonly defaultModel: string;
  /** Throws ConfigError naming EMBEDDING_MODEL for a model this provider does not have. */
  model(name: string): ModelShape;
  /** Whether EMBEDDING_FALLBACK_MODEL may name another model of this provider. */
  readonly failsOver: boolean;
  /** Checks the provider's own settings (an API key); throws ConfigError naming the variable. */
  checkSettings?(config: EmbeddingConfig): void;
  /** USD per million input tokens (0: free, or no published price). */
  usdPerMillionTokens(model: string): number;
  /** Builds one model's provider; heavy modules (an SDK, a model runtime) are imported in here, on first use. */
  create(model: string, context: ProviderContext): Promise<EmbeddingProvider>;
}

const adapters = new Map<string, EmbeddingProviderAdapter>();

/** Makes a provider available to EMBEDDING_PROVIDER. A name is registered once. */
export function registerEmbeddingProvider(adapter: EmbeddingProviderAdapter): void {
  if (adapters.has(adapter.name)) throw new TypeError(`embedding provider "${adapter.name}" is registered already`);
  adapters.set(adapter.name, adapter);
}

export function embeddingProviderAdapter(name: string): EmbeddingProviderAdapter | undefined {
  return adapters.get(name);
}

export function embeddingProviderNames(): string[] {
  return [...adapters.keys()];
}

export function estimateCostUsd(provider: string, model: string, tokens: number): number {
  return ((adapters.get(provider)?.usdPerMillionTokens(model) ?? 0) * tokens) / 1_000_000;
}

/** The built-in providers; the first is the default. */
registerEmbeddingProvider(localProvider);
registerEmbeddingProvider(openaiProvider);
export const DEFAULT_EMBEDDING_PROVIDER = localProvider.name;

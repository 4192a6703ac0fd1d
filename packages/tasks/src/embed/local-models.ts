import { hashingModel } from './local-provider.ts';
import type { EmbeddingMetrics } from './metrics.ts';
import type { EmbeddingProvider } from './provider.ts';
import { useLiteModel } from './use-lite-provider.ts';

export interface LocalModelSettings {
  readonly dimensions: number;
  /** Threads a model that runs in threads may use (LANES_LOCAL_MODEL_THREADS). */
  readonly threads: number;
  readonly metrics: EmbeddingMetrics;
}

/** An offline model of the `local` provider, chosen with EMBEDDING_MODEL; each is its own embedding space. */
export interface LocalModel {
  readonly name: string;
  /** The vector size when EMBEDDING_DIMENSIONS is unset. */
  readonly defaultDimensions: number;
  /** A trained encoder has one output size; feature hashing takes any. */
  readonly fixedDimensions: boolean;
  create(settings: LocalModelSettings): EmbeddingProvider;
}

/** The first is the default. */
export const LOCAL_MODELS: ReadonlyMap<string, LocalModel> = new Map([hashingModel, useLiteModel].map((model) => [model.name, model]));

import { ConfigError } from '@lanes/contracts';
import { hashingModel, LOCAL_PROVIDER } from './local-provider.ts';
import type { EmbeddingMetrics } from './metrics.ts';
import type { EmbeddingProvider } from './provider.ts';
import type { EmbeddingProviderAdapter } from './providers.ts';
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
const LOCAL_MODELS: ReadonlyMap<string, LocalModel> = new Map(
  [hashingModel, useLiteModel].map((model) => [model.name, model]),
);

function localModel(name: string): LocalModel {
  const model = LOCAL_MODELS.get(name);
  if (model !== undefined) return model;
  const names = [...LOCAL_MODELS.keys()].map((known) => `"${known}"`).join(', ');
  throw new ConfigError(
    'EMBEDDING_MODEL',
    `must be one of ${names} (or unset) with EMBEDDING_PROVIDER=${LOCAL_PROVIDER}, got "${name}"`,
  );
}

/** `local`: offline models, no key, free; one model at a time (nothing to fail over to). */
export const localProvider: EmbeddingProviderAdapter = {
  name: LOCAL_PROVIDER,
  defaultModel: hashingModel.name,
  model: (name) => localModel(name),
  failsOver: false,
  usdPerMillionTokens: () => 0,
  create: async (model, { config, metrics }) =>
    localModel(model).create({ dimensions: config.dimensions, threads: config.localModelThreads, metrics }),
};

import { ConfigError } from '@lanes/contracts';
import type { EmbeddingProviderAdapter } from './providers.ts';

/** Native sizes of known OpenAI embedding models; others default to 1536 (or EMBEDDING_DIMENSIONS). */
const NATIVE_DIMENSIONS: Readonly<Record<string, number>> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};

/** OpenAI's published prices; unknown models count as free rather than guessing (the token counter still shows their volume). */
const USD_PER_MILLION_TOKENS: Readonly<Record<string, number>> = {
  'text-embedding-3-small': 0.02,
  'text-embedding-3-large': 0.13,
  'text-embedding-ada-002': 0.1,
};

/** `openai`: the OpenAI API or any compatible endpoint (OPENAI_BASE_URL), through the SDK. */
export const openaiProvider: EmbeddingProviderAdapter = {
  name: 'openai',
  defaultModel: 'text-embedding-3-small',
  model: (name) => ({ defaultDimensions: NATIVE_DIMENSIONS[name] ?? 1536, fixedDimensions: false }),
  failsOver: true,
  checkSettings(config) {
    if (config.apiKey === undefined)
      throw new ConfigError('OPENAI_API_KEY', 'is required with EMBEDDING_PROVIDER=openai');
  },
  usdPerMillionTokens: (model) => USD_PER_MILLION_TOKENS[model] ?? 0,
  async create(model, { config, metrics, logger, budget }) {
    const { OpenAIEmbeddingProvider } = await import('./openai-provider.ts');
    return new OpenAIEmbeddingProvider({
      model,
      dimensions: config.dimensions,
      apiKey: config.apiKey ?? '',
      baseUrl: config.baseUrl,
      timeoutMs: config.timeoutMs,
      maxAttempts: config.maxAttempts,
      budget: budget(model),
      metrics,
      logger,
    });
  },
};

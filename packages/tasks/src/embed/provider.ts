/** What one provider request may contain (OpenAI's documented limits by default). */
export interface ProviderLimits {
  readonly maxInputs: number;
  readonly maxTokensPerRequest: number;
  readonly maxTokensPerInput: number;
}

export const OPENAI_LIMITS: ProviderLimits = { maxInputs: 2048, maxTokensPerRequest: 300_000, maxTokensPerInput: 8192 };

export interface EmbedBatchResult {
  /** One unit-length vector per input, in input order. */
  readonly vectors: Float32Array[];
  /** Tokens billed for the request (the provider's count when it reports one). */
  readonly tokens: number;
}

/**
 * One model of one provider: a fixed (provider, model, dimensions) "embedding space".
 * Vectors from different spaces are never compared or stored together.
 */
export interface EmbeddingProvider {
  /** The adapter's name (EMBEDDING_PROVIDER). */
  readonly provider: string;
  readonly model: string;
  readonly dimensions: number;
  readonly limits: ProviderLimits;
  /** Computing a vector costs less than the Redis cache and single-flight locks (those are skipped). */
  readonly cheaperThanCache?: boolean;
  /**
   * Embeds one request's worth of inputs (callers batch within `limits`). Retries transient
   * failures itself; throws EmbeddingRejectedError (permanent) or EmbeddingUnavailableError
   * (gave up on a transient failure: the caller may fail over).
   */
  embedBatch(
    inputs: readonly string[],
    tokenCounts: readonly number[],
    signal: AbortSignal | undefined,
  ): Promise<EmbedBatchResult>;
  /** Releases what the provider holds (model threads). */
  close?(): Promise<void>;
}

/** Stable id of a space, used in cache keys and table names. */
export function spaceKey(provider: { provider: string; model: string; dimensions: number }): string {
  return `${provider.provider}:${provider.model}:${provider.dimensions}`;
}

import OpenAI from 'openai';
import type { RateBudget } from '@lanes/worker-core';
import type { Logger } from '@lanes/worker-core';
import { EmbeddingRejectedError, EmbeddingUnavailableError } from '@lanes/contracts';
import type { EmbeddingMetrics } from './metrics.ts';
import { OPENAI_LIMITS, type EmbedBatchResult, type EmbeddingProvider, type ProviderLimits } from './provider.ts';
import { backoffMs, classifyFailure, sleep } from './retry-policy.ts';
import { definedOnly } from '@lanes/contracts';

export interface OpenAIProviderOptions {
  readonly model: string;
  readonly dimensions: number;
  readonly apiKey: string;
  readonly baseUrl: string | undefined;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  /** Shared across processes: taken before every HTTP attempt, retries included. */
  readonly budget: RateBudget | undefined;
  readonly metrics: EmbeddingMetrics;
  readonly logger: Logger;
}

/** ada-002 has a fixed size and rejects the `dimensions` parameter; newer models accept it. */
function acceptsDimensions(model: string): boolean {
  return model !== 'text-embedding-ada-002';
}

function toVector(raw: unknown, dimensions: number, model: string): Float32Array {
  let vector: Float32Array;
  if (Array.isArray(raw)) vector = Float32Array.from(raw as number[]);
  else if (typeof raw === 'string') {
    const bytes = Buffer.from(raw, 'base64');
    vector = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  } else
    throw new EmbeddingRejectedError(`model ${model} returned an embedding that is neither a list nor base64`, {
      model,
    });
  if (vector.length !== dimensions) {
    throw new EmbeddingRejectedError(
      `model ${model} returned ${vector.length} dimensions, expected ${dimensions} (EMBEDDING_DIMENSIONS)`,
      {
        model,
        got: vector.length,
        expected: dimensions,
      },
    );
  }
  return vector;
}

/**
 * Any OpenAI-compatible /v1/embeddings endpoint through the official SDK. The SDK's own
 * retries are off (maxRetries 0): ours take the shared rate budget before every attempt and
 * honour retry-after, which the SDK's cannot coordinate across processes.
 */
export class OpenAIEmbeddingProvider implements EmbeddingProvider {
  readonly provider = 'openai' as const;
  readonly model: string;
  readonly dimensions: number;
  readonly limits: ProviderLimits = OPENAI_LIMITS;
  readonly #client: OpenAI;
  readonly #options: OpenAIProviderOptions;

  constructor(options: OpenAIProviderOptions) {
    this.model = options.model;
    this.dimensions = options.dimensions;
    this.#options = options;
    this.#client = new OpenAI({
      apiKey: options.apiKey,
      ...definedOnly({ baseURL: options.baseUrl }),
      maxRetries: 0,
      timeout: options.timeoutMs,
    });
  }

  async embedBatch(
    inputs: readonly string[],
    tokenCounts: readonly number[],
    signal: AbortSignal | undefined,
  ): Promise<EmbedBatchResult> {
    const { maxAttempts, budget, metrics, logger } = this.#options;
    const estimatedTokens = tokenCounts.reduce((sum, count) => sum + count, 0);
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      await budget?.take({ requests: 1, tokens: estimatedTokens }, signal);
      try {
        const response = await this.#client.embeddings.create(
          {
            model: this.model,
            input: [...inputs],
            ...(acceptsDimensions(this.model) && { dimensions: this.dimensions }),
          },
          { ...definedOnly({ signal }) },
        );
        const data = [...response.data].sort((a, b) => a.index - b.index);
        if (data.length !== inputs.length) {
          throw new EmbeddingRejectedError(
            `model ${this.model} returned ${data.length} embeddings for ${inputs.length} inputs`,
            { model: this.model },
          );
        }
        const vectors = data.map((item) => toVector(item.embedding, this.dimensions, this.model));
        const tokens = response.usage?.prompt_tokens ?? estimatedTokens;
        metrics.batch(this.provider, this.model, 'ok');
        metrics.billed(this.provider, this.model, tokens);
        return { vectors, tokens };
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (error instanceof EmbeddingRejectedError) {
          metrics.batch(this.provider, this.model, 'failed');
          throw error;
        }
        const failure = classifyFailure(error);
        const context = { model: this.model, status: failure.status, attempt, inputs: inputs.length };
        if (failure.kind === 'permanent') {
          metrics.batch(this.provider, this.model, 'failed');
          throw new EmbeddingRejectedError(`embedding request refused by ${this.model}: ${failure.message}`, context, {
            cause: error,
          });
        }
        if (failure.kind === 'model-unavailable' || attempt >= maxAttempts) {
          metrics.batch(this.provider, this.model, 'failed');
          throw new EmbeddingUnavailableError(
            `embedding model ${this.model} unavailable after ${attempt} attempt(s): ${failure.message}`,
            context,
            { cause: error },
          );
        }
        const delay = backoffMs(attempt, failure);
        metrics.batch(this.provider, this.model, 'retry');
        logger.warn(
          { ...context, delayMs: Math.round(delay), reason: failure.message },
          'embedding request failed, retrying',
        );
        await sleep(delay, signal);
      }
    }
  }
}

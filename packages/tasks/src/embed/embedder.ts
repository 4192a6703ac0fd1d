import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import { countTokens, decode, encode } from 'gpt-tokenizer/encoding/cl100k_base';
import type { Logger } from '@lanes/worker-core';
import { EmbeddingRejectedError, EmbeddingUnavailableError } from '@lanes/contracts';
import { planBatches } from './batching.ts';
import type { EmbeddingCache } from './embedding-cache.ts';
import type { EmbeddingMetrics } from './metrics.ts';
import { spaceKey, type EmbeddingProvider } from './provider.ts';
import { sleep } from './retry-policy.ts';

export interface EmbedItem {
  /** sha256 of `text`: the cache key and the stored vector's key. */
  readonly hash: string;
  readonly text: string;
  /** cl100k_base token count when already known (stored chunks); counted here otherwise. */
  readonly tokens?: number;
}

export interface EmbeddedVector {
  readonly vector: Float32Array;
  /** The provider whose space this vector belongs to (the primary, or the fallback). */
  readonly provider: EmbeddingProvider;
}

export interface EmbedOutcome {
  readonly vectors: Map<string, EmbeddedVector>;
  readonly cacheHits: number;
  /** Tokens actually sent to a provider by this call (cache hits and waits excluded). */
  readonly tokens: number;
}

export interface EmbedderOptions {
  readonly primary: EmbeddingProvider;
  readonly fallback: EmbeddingProvider | undefined;
  readonly cache: EmbeddingCache;
  readonly metrics: EmbeddingMetrics;
  readonly logger: Logger;
  readonly batchSize: number;
  /** How long a single-flight lock lives without being extended (owner crash recovery time). */
  readonly lockTtlMs?: number;
  /** Provider requests in flight at once within one embed() call. */
  readonly requestConcurrency?: number;
}

interface Sized extends EmbedItem {
  readonly tokens: number;
  /** What is sent: the text, cut to the provider's per-input token limit. */
  readonly input: string;
}

interface SpaceOutcome {
  readonly done: Map<string, Float32Array>;
  readonly failed: Sized[];
  readonly failure: EmbeddingUnavailableError | undefined;
  readonly cacheHits: number;
  readonly tokens: number;
}

const POLL_MS = 40;

/** Moves the items whose vector the cache returned (`found`, in item order) into `done`; returns the rest. */
function keepMissing(
  items: readonly Sized[],
  found: ReadonlyArray<Float32Array | undefined>,
  done: Map<string, Float32Array>,
): Sized[] {
  return items.filter((item, i) => {
    const vector = found[i];
    if (vector !== undefined) done.set(item.hash, vector);
    return vector === undefined;
  });
}

/**
 * Texts to vectors: cache, then single-flight (one process computes a given text at a time;
 * others wait for its cached result), then the provider in batches within its limits (the
 * provider takes the shared rate budget per request). When the primary model stays
 * unavailable, the remaining texts go to the fallback model, whose vectors belong to the
 * fallback's own space and are labelled so: they are never stored or compared as primary ones.
 */
export class Embedder {
  readonly primary: EmbeddingProvider;
  readonly fallback: EmbeddingProvider | undefined;
  readonly #options: EmbedderOptions;
  readonly #lockTtlMs: number;

  constructor(options: EmbedderOptions) {
    this.primary = options.primary;
    this.fallback = options.fallback;
    this.#options = options;
    this.#lockTtlMs = options.lockTtlMs ?? 30_000;
  }

  async embed(items: readonly EmbedItem[], signal?: AbortSignal): Promise<EmbedOutcome> {
    const unique = new Map<string, EmbedItem>();
    for (const item of items) {
      if (item.text.trim() === '')
        throw new EmbeddingRejectedError('cannot embed an empty text (the API rejects empty inputs)', {
          hash: item.hash,
        });
      unique.set(item.hash, item);
    }
    const vectors = new Map<string, EmbeddedVector>();
    let cacheHits = 0;
    let tokens = 0;
    let pending = [...unique.values()];
    const providers = [this.primary, ...(this.fallback === undefined ? [] : [this.fallback])];
    for (const [position, provider] of providers.entries()) {
      const outcome = await this.#embedIn(
        provider,
        pending.map((item) => this.#size(item, provider)),
        signal,
      );
      for (const [hash, vector] of outcome.done) vectors.set(hash, { vector, provider });
      cacheHits += outcome.cacheHits;
      tokens += outcome.tokens;
      if (outcome.failed.length === 0) break;
      const next = providers[position + 1];
      if (next === undefined)
        throw outcome.failure ?? new EmbeddingUnavailableError(`embedding with ${provider.model} failed`);
      this.#options.metrics.batch(provider.provider, provider.model, 'fallback');
      this.#options.logger.warn(
        { from: provider.model, to: next.model, texts: outcome.failed.length, reason: outcome.failure?.message },
        'primary embedding model unavailable: using the fallback model (separate embedding space)',
      );
      pending = outcome.failed;
    }
    return { vectors, cacheHits, tokens };
  }

  /** Embeds with one given provider only (no fail-over): e.g. a query for a specific space. */
  async embedWith(
    provider: EmbeddingProvider,
    items: readonly EmbedItem[],
    signal?: AbortSignal,
  ): Promise<Map<string, Float32Array>> {
    const outcome = await this.#embedIn(
      provider,
      items.map((item) => this.#size(item, provider)),
      signal,
    );
    if (outcome.failed.length > 0)
      throw outcome.failure ?? new EmbeddingUnavailableError(`embedding with ${provider.model} failed`);
    return outcome.done;
  }

  #size(item: EmbedItem, provider: EmbeddingProvider): Sized {
    const tokens = item.tokens ?? countTokens(item.text);
    if (tokens <= provider.limits.maxTokensPerInput) return { ...item, tokens, input: item.text };
    // Longer than the model accepts: embed its beginning (queries only; chunks are far smaller).
    const cut = encode(item.text).slice(0, provider.limits.maxTokensPerInput);
    return { ...item, tokens: cut.length, input: decode(cut) };
  }

  async #embedIn(
    provider: EmbeddingProvider,
    items: readonly Sized[],
    signal: AbortSignal | undefined,
  ): Promise<SpaceOutcome> {
    // The cache and the single-flight locks exist to save work dearer than their Redis round trips.
    if (provider.cheaperThanCache === true) return this.#embedLocally(provider, items, signal);
    const { cache, metrics } = this.#options;
    const space = spaceKey(provider);
    const done = new Map<string, Float32Array>();
    const failed: Sized[] = [];
    let failure: EmbeddingUnavailableError | undefined;
    let tokens = 0;

    const cached = await cache.getMany(
      space,
      items.map((item) => item.hash),
      provider.dimensions,
    );
    let missing: Sized[] = [];
    items.forEach((item, i) => {
      const vector = cached[i];
      if (vector === undefined) missing.push(item);
      else done.set(item.hash, vector);
    });
    const cacheHits = done.size;
    if (cacheHits > 0) metrics.cacheHits.inc({ provider: provider.provider, model: provider.model }, cacheHits);
    if (missing.length > 0)
      metrics.cacheMisses.inc({ provider: provider.provider, model: provider.model }, missing.length);

    const token = randomUUID();
    while (missing.length > 0) {
      signal?.throwIfAborted();
      const owned = await cache.tryLock(
        space,
        missing.map((item) => item.hash),
        token,
        this.#lockTtlMs,
      );
      const mine = missing.filter((_, i) => owned[i]);
      const theirs = missing.filter((_, i) => !owned[i]);
      const computed = await this.#compute(provider, space, mine, token, signal);
      for (const [hash, vector] of computed.done) done.set(hash, vector);
      failed.push(...computed.failed);
      failure ??= computed.failure;
      tokens += computed.tokens;
      // Texts another process is computing: wait for its result; take over if its lock lapses.
      missing = await this.#awaitOthers(provider, space, theirs, done, signal);
    }
    return { done, failed, failure, cacheHits, tokens };
  }

  async #embedLocally(
    provider: EmbeddingProvider,
    items: readonly Sized[],
    signal: AbortSignal | undefined,
  ): Promise<SpaceOutcome> {
    const done = new Map<string, Float32Array>();
    let tokens = 0;
    for (const batch of planBatches(items, provider.limits, this.#options.batchSize)) {
      const result = await provider.embedBatch(
        batch.map((item) => item.input),
        batch.map((item) => item.tokens),
        signal,
      );
      tokens += result.tokens;
      batch.forEach((item, i) => {
        done.set(item.hash, result.vectors[i]!);
      });
    }
    this.#options.metrics.billed(provider.provider, provider.model, tokens);
    return { done, failed: [], failure: undefined, cacheHits: 0, tokens };
  }

  /** Computes texts we hold locks for; always releases the locks, success or not. */
  async #compute(
    provider: EmbeddingProvider,
    space: string,
    items: readonly Sized[],
    token: string,
    signal: AbortSignal | undefined,
  ): Promise<{
    done: Map<string, Float32Array>;
    failed: Sized[];
    failure: EmbeddingUnavailableError | undefined;
    tokens: number;
  }> {
    const { cache } = this.#options;
    const done = new Map<string, Float32Array>();
    const failed: Sized[] = [];
    let failure: EmbeddingUnavailableError | undefined;
    let tokens = 0;
    if (items.length === 0) return { done, failed, failure, tokens };
    const hashes = items.map((item) => item.hash);
    // Keep our locks alive while slow requests and retries run, so nobody duplicates the work.
    const keepAlive = setInterval(
      () => {
        void cache.extend(space, hashes, token, this.#lockTtlMs).catch(() => undefined);
      },
      Math.max(1000, this.#lockTtlMs / 3),
    );
    try {
      const limit = pLimit(this.#options.requestConcurrency ?? 4);
      const batches = planBatches(items, provider.limits, this.#options.batchSize);
      await Promise.all(
        batches.map((batch) =>
          limit(async () => {
            // Once the model has been declared unavailable, the rest goes straight to fallback.
            if (failure !== undefined) {
              failed.push(...batch);
              return;
            }
            try {
              const result = await provider.embedBatch(
                batch.map((item) => item.input),
                batch.map((item) => item.tokens),
                signal,
              );
              tokens += result.tokens;
              const entries = batch.map((item, i) => [item.hash, result.vectors[i]!] as const);
              await cache.setMany(space, entries);
              for (const [hash, vector] of entries) done.set(hash, vector);
            } catch (error) {
              if (!(error instanceof EmbeddingUnavailableError)) throw error;
              failure ??= error;
              failed.push(...batch);
            }
          }),
        ),
      );
    } finally {
      clearInterval(keepAlive);
      await cache.release(space, hashes, token).catch(() => undefined);
    }
    return { done, failed, failure, tokens };
  }

  /** Polls the cache for texts others compute; returns those whose owner vanished without a result. */
  async #awaitOthers(
    provider: EmbeddingProvider,
    space: string,
    items: readonly Sized[],
    done: Map<string, Float32Array>,
    signal: AbortSignal | undefined,
  ): Promise<Sized[]> {
    let waiting = [...items];
    while (waiting.length > 0) {
      await sleep(POLL_MS, signal);
      const still = keepMissing(
        waiting,
        await this.#options.cache.getMany(
          space,
          waiting.map((item) => item.hash),
          provider.dimensions,
        ),
        done,
      );
      if (still.length === 0) return [];
      const locked = await this.#options.cache.isLocked(
        space,
        still.map((item) => item.hash),
      );
      const orphaned = still.filter((_, i) => !locked[i]);
      // An owner that released without a result failed (or crashed): compute these ourselves.
      if (orphaned.length > 0) {
        const retry = keepMissing(
          orphaned,
          await this.#options.cache.getMany(
            space,
            orphaned.map((item) => item.hash),
            provider.dimensions,
          ),
          done,
        );
        // Back to the caller's loop, which locks and computes them (and keeps waiting on the rest).
        if (retry.length > 0) return [...retry, ...still.filter((_, i) => locked[i])];
      }
      waiting = still.filter((_, i) => locked[i]);
    }
    return [];
  }
}

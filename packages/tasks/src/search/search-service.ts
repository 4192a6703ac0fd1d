import type { Redis } from 'ioredis';
import {
  LanesError,
  MAX_SEARCH_K,
  MAX_SEARCH_QUERY_CHARS,
  type SearchFilter,
  type SearchHit,
  type SearchMode,
  type SearchResponse,
  definedOnly,
} from '@lanes/contracts';
import type { LanesMetrics, Logger } from '@lanes/worker-core';
import type { Histogram } from 'prom-client';
import type { Embedder } from '../embed/embedder.ts';
import { spaceKey, type EmbeddingProvider } from '../embed/provider.ts';
import { sha256 } from '../hashing.ts';
import type { RagKeys } from '../redis-keys.ts';
import type { Database } from '../store/database.ts';
import type { EmbeddingSpace, SpaceIdentity, VectorStorage } from '../store/embedding-spaces.ts';
import type { SpaceHandle } from '../migration/live-spaces.ts';
import { BM25_DEFAULTS, type Bm25Parameters } from '../lexical/bm25.ts';
import { queryTerms } from '../lexical/tokenise.ts';
import { searchLexical } from '../store/lexical-search.ts';
import { searchSpace, type RankedChunk } from '../store/vector-search.ts';
import type { CorpusVersion } from './corpus-version.ts';
import { fuse, FUSION_DEFAULTS, lexicalOnlyDepth, toHit, type FusionOptions } from './fusion.ts';
import type { QueryStats } from './query-stats.ts';

export class InvalidQueryError extends LanesError {
  readonly field: string;
  constructor(message: string, field = 'query') {
    super('INVALID_QUERY', message, { field });
    this.field = field;
  }
}

/** A searchable space: its vector table and the provider that embeds queries into it. */
export interface SearchSpace {
  readonly space: EmbeddingSpace;
  readonly provider: EmbeddingProvider;
}

/** What vector search needs besides the database: built on the first query that needs a vector. */
export interface VectorSearch {
  readonly embedder: Embedder;
  readonly primary: SearchSpace;
  /** Holds vectors of chunks embedded while the primary model was down (see README). */
  readonly fallback: SearchSpace | undefined;
  /** pgvector >= 0.8 supports iterative index scans. */
  readonly iterativeScan: boolean;
}

/** Which space search reads at a corpus version (`lanes migrate-embeddings` switches it), and the means to search it. */
export interface SearchSpaces {
  /** The live space (part of result cache keys). */
  live(version: string): Promise<SpaceIdentity>;
  /**
   * Vector search in the live space, or in `chosen` alone; built on the first query that needs a
   * vector. Undefined while no space has a vector table yet: vector lists are empty then.
   */
  vectors(version: string | undefined, chosen?: SpaceHandle): Promise<VectorSearch | undefined>;
}

export interface SearchServiceOptions {
  readonly db: Database;
  readonly redis: Redis;
  readonly keys: RagKeys;
  readonly spaces: SearchSpaces;
  readonly corpus: CorpusVersion;
  readonly stats: QueryStats;
  readonly efSearch: number;
  readonly vectorStorage: VectorStorage;
  readonly resultCacheTtlSeconds: number;
  /** Hybrid fusion settings (LANES_SEARCH_*, default FUSION_DEFAULTS). */
  readonly fusion?: FusionOptions;
  readonly metrics: LanesMetrics;
  readonly logger: Logger;
}

export interface SearchOptions {
  readonly signal?: AbortSignal;
  /** Count this query towards cache warming (default true; warming itself does not count). */
  readonly record?: boolean;
  /** Exact scan, no caches: the ground truth for recall measurements. */
  readonly exact?: boolean;
  /** HNSW candidate list size for this search instead of LANES_HNSW_EF_SEARCH (bypasses the result cache). */
  readonly efSearch?: number;
  /** Default `hybrid`. */
  readonly mode?: SearchMode;
  readonly filter?: SearchFilter;
  /** Only this tenant's documents; without it, only documents of no tenant. */
  readonly tenant?: string;
  /** Fusion settings for this search instead of the service's (bypasses the result cache). */
  readonly fusion?: Partial<FusionOptions>;
  /** BM25 parameters for this search instead of BM25_DEFAULTS (bypasses the result cache). */
  readonly bm25?: Partial<Bm25Parameters>;
  /** Vectors from this space instead of the live one (a migration's eval; bypasses the result cache). */
  readonly space?: SpaceHandle;
}

export const MAX_K = MAX_SEARCH_K;
export const MAX_QUERY_CHARS = MAX_SEARCH_QUERY_CHARS;

/**
 * Whitespace-insensitive, so "a  b" and "a b " share cache entries and counts. Control
 * characters (NUL among them, which PostgreSQL text cannot hold) count as whitespace.
 */
export function normaliseQuery(query: string): string {
  return query.replace(/[\s\u0000-\u001f\u007f]+/g, ' ').trim();
}

/**
 * Semantic search: query embedding (through the embedding cache), pgvector top-k by cosine
 * distance with a tuned ef_search, and a Redis result cache keyed by the corpus version.
 * Searches the live space (the configured model's, until a migration switches it); while that
 * is the configured one, chunks that only have fallback-model vectors are searched in the
 * fallback space with a fallback-model query embedding, and the two ranked lists are merged by
 * cosine similarity (each score computed within its own space, never across spaces).
 */
export class SearchService {
  readonly #options: SearchServiceOptions;
  readonly #duration: Histogram<'cache'>;
  #fallbackNonEmpty: { value: boolean; at: number; version: string } | undefined;

  constructor(options: SearchServiceOptions) {
    this.#options = options;
    this.#duration = options.metrics.histogram(
      'lanes_search_duration_seconds',
      'Search latency by result-cache outcome',
      [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      ['cache'],
    );
  }

  async search(rawQuery: string, k = 10, options: SearchOptions = {}): Promise<SearchResponse> {
    const startedAt = performance.now();
    const query = normaliseQuery(rawQuery);
    if (query === '') throw new InvalidQueryError('query must not be empty');
    if (query.length > MAX_QUERY_CHARS)
      throw new InvalidQueryError(`query must be at most ${MAX_QUERY_CHARS} characters`);
    if (!Number.isInteger(k) || k < 1 || k > MAX_K)
      throw new InvalidQueryError(`k must be an integer in 1..${MAX_K}`, 'k');
    const bypassesCache =
      options.exact === true ||
      options.efSearch !== undefined ||
      options.fusion !== undefined ||
      options.bm25 !== undefined ||
      options.space !== undefined;
    if (bypassesCache) return { query, results: await this.#compute(query, k, options, undefined) };

    const { redis, keys, corpus, stats, resultCacheTtlSeconds, spaces } = this.#options;
    if (options.record !== false) {
      await stats
        .record(query, k, options.tenant)
        .catch((error: unknown) =>
          this.#options.logger.warn({ err: { message: String(error) } }, 'could not count query'),
        );
    }
    const version = await corpus.current();
    const cacheKey = keys.searchResult(version, spaceKey(await spaces.live(version)), k, requestHash(query, options));
    const cached = await redis.get(cacheKey);
    if (cached !== null) {
      this.#duration.observe({ cache: 'hit' }, (performance.now() - startedAt) / 1000);
      return { query, results: JSON.parse(cached) as SearchHit[] };
    }
    const results = await this.#compute(query, k, options, version);
    await redis.set(cacheKey, JSON.stringify(results), 'EX', resultCacheTtlSeconds);
    this.#duration.observe({ cache: 'miss' }, (performance.now() - startedAt) / 1000);
    return { query, results };
  }

  /** True when the cached result for this query (of this tenant) is current; else computes and caches it. */
  async warm(query: string, k: number, tenant: string | undefined, signal?: AbortSignal): Promise<boolean> {
    const { redis, keys, corpus, spaces } = this.#options;
    const normalised = normaliseQuery(query);
    const version = await corpus.current();
    const scope = tenant === undefined ? {} : { tenant };
    const cacheKey = keys.searchResult(
      version,
      spaceKey(await spaces.live(version)),
      k,
      requestHash(normalised, scope),
    );
    const present = (await redis.exists(cacheKey)) === 1;
    if (present) {
      await redis.expire(cacheKey, this.#options.resultCacheTtlSeconds);
      return true;
    }
    await this.search(normalised, k, { record: false, ...scope, ...definedOnly({ signal }) });
    return false;
  }

  async #compute(query: string, k: number, options: SearchOptions, version: string | undefined): Promise<SearchHit[]> {
    const mode = options.mode ?? 'hybrid';
    if (mode === 'lexical')
      return (await this.#lexicalList(query, k, options)).map((chunk) => toHit(chunk, chunk.score, 'lexical'));
    if (mode === 'vector')
      return (await this.#vectorList(query, k, options, version)).map((chunk) => toHit(chunk, chunk.score, 'vector'));
    const fusion = { ...(this.#options.fusion ?? FUSION_DEFAULTS), ...options.fusion };
    const depth = Math.max(fusion.depth, k);
    const lexicalDepth = lexicalOnlyDepth(k, { ...fusion, depth });
    if (lexicalDepth !== undefined) {
      // The top k can only be lexical candidates (see lexicalOnlyDepth): the vector list only
      // reorders them, so it ranks just those by exact similarity instead of searching the
      // whole index, unless the lexical list is too short to fill k.
      const lexical = await this.#lexicalList(query, lexicalDepth, options);
      const within = lexical.length >= k ? lexical.map((chunk) => chunk.hash) : undefined;
      const vector = fusion.vectorWeight > 0 ? await this.#vectorList(query, depth, options, version, within) : [];
      return fuse({ lexical, vector }, k, { ...fusion, depth });
    }
    const [lexical, vector] = await Promise.all([
      fusion.lexicalWeight > 0 ? this.#lexicalList(query, depth, options) : [],
      fusion.vectorWeight > 0 ? this.#vectorList(query, depth, options, version) : [],
    ]);
    return fuse({ lexical, vector }, k, { ...fusion, depth });
  }

  #lexicalList(query: string, k: number, options: SearchOptions): Promise<RankedChunk[]> {
    return searchLexical(this.#options.db, queryTerms(query), {
      k,
      filter: options.filter,
      tenant: options.tenant,
      bm25: { ...BM25_DEFAULTS, ...options.bm25 },
    });
  }

  /** `within`: rank only the chunks of these texts (content hashes), exactly. */
  async #vectorList(
    query: string,
    k: number,
    options: SearchOptions,
    version: string | undefined,
    within?: readonly string[],
  ): Promise<RankedChunk[]> {
    // An explicitly chosen space is searched alone: its own model embeds the query.
    const vectors = await this.#options.spaces.vectors(version, options.space);
    if (vectors === undefined) return [];
    const { embedder, primary, fallback, iterativeScan } = vectors;
    const { db, efSearch, vectorStorage } = this.#options;
    const item = { hash: sha256(query), text: query };
    const spaces: SearchSpace[] = [];
    const queryVectors = new Map<number, Float32Array>();
    const embedded = await embedder.embed([item], options.signal);
    const vector = embedded.vectors.get(item.hash)!;
    if (vector.provider === primary.provider) {
      spaces.push(primary);
      queryVectors.set(primary.space.id, vector.vector);
      if (fallback !== undefined && (await this.#fallbackHasVectors(fallback.space, version))) {
        const inFallback = await embedder
          .embedWith(fallback.provider, [item], options.signal)
          .catch((error: unknown) => {
            this.#options.logger.warn(
              { err: { message: String(error) } },
              'fallback space skipped: could not embed the query with the fallback model',
            );
            return undefined;
          });
        if (inFallback !== undefined) {
          spaces.push(fallback);
          queryVectors.set(fallback.space.id, inFallback.get(item.hash)!);
        }
      }
    } else if (fallback !== undefined) {
      // The primary model is down: only what the fallback space holds can be searched.
      spaces.push(fallback);
      queryVectors.set(fallback.space.id, vector.vector);
    }
    const lists = await Promise.all(
      spaces.map((entry) =>
        searchSpace(db, entry.space, queryVectors.get(entry.space.id)!, {
          k,
          efSearch: options.efSearch ?? efSearch,
          storage: vectorStorage,
          iterativeScan,
          filter: options.filter,
          tenant: options.tenant,
          ...definedOnly({ exact: options.exact, within }),
        }),
      ),
    );
    if (lists.length === 1) return lists[0]!;
    const seen = new Set<string>();
    return lists
      .flat()
      .sort((a, b) => b.score - a.score)
      .filter((hit) => {
        const id = `${hit.documentId}:${hit.chunkIndex}`;
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      })
      .slice(0, k);
  }

  /** Cheap check, cached for a few seconds within one corpus version: the fallback space is usually empty. */
  async #fallbackHasVectors(fallback: EmbeddingSpace, version: string | undefined): Promise<boolean> {
    const now = Date.now();
    const known = this.#fallbackNonEmpty;
    if (known !== undefined && version !== undefined && known.version === version && now - known.at < 5000)
      return known.value;
    const value = await this.#options.db.withClient(async (client) => {
      const { rows } = await client.query<{ present: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM ${fallback.table}) AS present`,
      );
      return rows[0]!.present;
    });
    this.#fallbackNonEmpty = { value, at: now, version: version ?? '' };
    return value;
  }
}

/** Identity of a request's results besides k and the corpus version (the result cache key): tenants never share an entry. */
function requestHash(query: string, options: Pick<SearchOptions, 'mode' | 'filter' | 'tenant'>): string {
  return sha256(JSON.stringify([query, options.mode ?? 'hybrid', options.filter ?? null, options.tenant ?? null]));
}

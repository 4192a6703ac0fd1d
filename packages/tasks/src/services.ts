import type { Redis } from 'ioredis';
import { asDependencyError } from '@lanes/contracts';
import { createProducerConnection, hashTaggedPrefix } from '@lanes/queue';
import { LanesClient } from '@lanes/client';
import { createLogger, LanesMetrics, RateBudget, type Logger, type RuntimeConfig } from '@lanes/worker-core';
import type { RagConfig } from './config.ts';
import { Embedder } from './embed/embedder.ts';
import { EmbeddingCache } from './embed/embedding-cache.ts';
import { LOCAL_MODELS } from './embed/local-models.ts';
import { EmbeddingMetrics } from './embed/metrics.ts';
import { EmbeddingUsage } from './embed/usage.ts';
import { OpenAIEmbeddingProvider } from './embed/openai-provider.ts';
import type { EmbeddingProvider } from './embed/provider.ts';
import { createDocumentExtractor, type DocumentExtractor } from './extract/extract-document.ts';
import { ragKeys, type RagKeys } from './redis-keys.ts';
import { CorpusVersion } from './search/corpus-version.ts';
import { QueryStats } from './search/query-stats.ts';
import { SearchService, type SearchSpace } from './search/search-service.ts';
import { Database } from './store/database.ts';
import { DocumentStore } from './store/documents.ts';
import { DocumentCatalog } from './store/document-catalog.ts';
import { CorpusDocuments } from './corpus/documents.ts';
import { ensureSpace, listSpaces, type EmbeddingSpace } from './store/embedding-spaces.ts';
import { migrate } from './store/migrations.ts';
import { backfillLexicalTerms } from './store/lexical-backfill.ts';

/** Everything the task handlers need, built once per process. */
export interface RagServices {
  readonly config: RagConfig;
  readonly runtime: RuntimeConfig;
  readonly db: Database;
  readonly documents: DocumentStore;
  /** Embedding tokens and cost per day, across processes (the dashboard's chart). */
  readonly usage: EmbeddingUsage;
  /** Listing and deleting whole documents, for the CLI and the dashboard. */
  readonly corpusDocuments: CorpusDocuments;
  /** Long-lived extraction threads (heap-capped, killed on abort). */
  readonly extractor: DocumentExtractor;
  readonly redis: Redis;
  readonly keys: RagKeys;
  readonly embedder: Embedder;
  readonly primary: SearchSpace;
  readonly fallback: SearchSpace | undefined;
  readonly search: SearchService;
  readonly corpus: CorpusVersion;
  /** Looks up jobs (to report an ingest's progress from its children). */
  readonly client: LanesClient;
  readonly metrics: LanesMetrics;
  readonly logger: Logger;
  /** Every space with a vector table, for garbage collection and index rebuilds. */
  allSpaces(): Promise<EmbeddingSpace[]>;
  /** A Redis outage as DependencyUnavailableError naming Redis, its URL and the cause; other errors unchanged. */
  nameFailure(error: unknown): unknown;
  close(): Promise<void>;
}

export interface RagServiceOptions {
  readonly metrics?: LanesMetrics;
  readonly logger?: Logger;
}

function createProvider(config: RagConfig, model: string, redis: Redis, keys: RagKeys, metrics: EmbeddingMetrics, logger: Logger): EmbeddingProvider {
  const embedding = config.embedding;
  const local = embedding.provider === 'local' ? LOCAL_MODELS.get(model) : undefined;
  if (local !== undefined) return local.create({ dimensions: embedding.dimensions, threads: embedding.localModelThreads, metrics });
  const budget = new RateBudget(redis, keys.embedBudget(embedding.provider, model), {
    requests: { capacity: embedding.budget.requests, perMs: embedding.budget.windowMs },
    tokens: { capacity: embedding.budget.tokens, perMs: embedding.budget.windowMs },
  });
  return new OpenAIEmbeddingProvider({
    model,
    dimensions: embedding.dimensions,
    apiKey: embedding.apiKey ?? '',
    baseUrl: embedding.baseUrl,
    timeoutMs: embedding.timeoutMs,
    maxAttempts: embedding.maxAttempts,
    budget,
    metrics,
    logger,
  });
}

/**
 * Connects to PostgreSQL (migrating the schema: safe when many workers start at once) and
 * Redis, and wires the adapters. Fails fast with a readable error when PostgreSQL is down.
 */
export async function createRagServices(config: RagConfig, runtime: RuntimeConfig, options: RagServiceOptions = {}): Promise<RagServices> {
  const logger = options.logger ?? createLogger(runtime.logLevel, { component: 'rag' });
  const metrics = options.metrics ?? new LanesMetrics({ defaultMetrics: false });
  const db = new Database({ url: config.databaseUrl, schema: config.pgSchema, logger });
  const redis = createProducerConnection(runtime.redisUrl);
  // The cause behind ioredis's generic "max retries" command errors (and no unhandled 'error' events).
  let redisError: Error | undefined;
  redis.on('error', (error: Error) => (redisError = error));
  redis.on('ready', () => (redisError = undefined));
  const prefix = hashTaggedPrefix(runtime.prefix);
  const keys = ragKeys(prefix);
  try {
    await migrate(db);
    const backfilled = await backfillLexicalTerms(db);
    const [major, minor] = await db.vectorVersion();
    const usage = new EmbeddingUsage(redis, keys);
    const embeddingMetrics = new EmbeddingMetrics(metrics, usage);
    const primaryProvider = createProvider(config, config.embedding.model, redis, keys, embeddingMetrics, logger);
    const fallbackProvider =
      config.embedding.fallbackModel === undefined ? undefined : createProvider(config, config.embedding.fallbackModel, redis, keys, embeddingMetrics, logger);
    const spaceOf = (provider: EmbeddingProvider): Promise<EmbeddingSpace> =>
      ensureSpace(db, { provider: provider.provider, model: provider.model, dimensions: provider.dimensions }, config.index);
    const primary: SearchSpace = { space: await spaceOf(primaryProvider), provider: primaryProvider };
    const fallback: SearchSpace | undefined = fallbackProvider === undefined ? undefined : { space: await spaceOf(fallbackProvider), provider: fallbackProvider };
    const embedder = new Embedder({
      primary: primaryProvider,
      fallback: fallbackProvider,
      cache: new EmbeddingCache(redis, prefix, config.embedding.cacheTtlSeconds),
      metrics: embeddingMetrics,
      logger,
      batchSize: config.embedding.batchSize,
    });
    const corpus = new CorpusVersion(redis, keys.corpusVersion);
    if (backfilled > 0) await corpus.bump();
    const search = new SearchService({
      db,
      redis,
      keys,
      embedder,
      primary,
      fallback,
      corpus,
      stats: new QueryStats(redis, keys, config.cacheWarming.windowHours),
      efSearch: config.search.efSearch,
      vectorStorage: config.index.storage,
      iterativeScan: major > 0 || minor >= 8,
      resultCacheTtlSeconds: config.search.resultCacheTtlSeconds,
      fusion: config.search.fusion,
      metrics,
      logger,
    });
    const client = new LanesClient({ redisUrl: runtime.redisUrl, prefix: runtime.prefix });
    const extractor = createDocumentExtractor(config.extraction, config.extraction.threads);
    const catalog = new DocumentCatalog(db, { spaces: () => listSpaces(db), onChange: () => corpus.bump() });
    return {
      config,
      runtime,
      db,
      documents: new DocumentStore(db),
      corpusDocuments: new CorpusDocuments({ catalog, redis, keys, client }),
      usage,
      extractor,
      redis,
      keys,
      embedder,
      primary,
      fallback,
      search,
      corpus,
      client,
      metrics,
      logger,
      allSpaces: () => listSpaces(db),
      nameFailure: (error) => asDependencyError(error, 'redis', { url: runtime.redisUrl, ...(redisError !== undefined && { lastConnectionError: redisError }) }),
      close: async () => {
        await extractor.close();
        await Promise.all([primaryProvider.close?.(), fallbackProvider?.close?.()]);
        await client.close();
        redis.disconnect();
        await db.close();
      },
    };
  } catch (error) {
    redis.disconnect();
    await db.close().catch(() => undefined);
    throw error;
  }
}

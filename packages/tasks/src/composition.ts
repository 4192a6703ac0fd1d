import type { Redis } from 'ioredis';
import { asDependencyError, type SearchResponse, definedOnly } from '@lanes/contracts';
import { LanesClient } from '@lanes/client';
import { createProducerConnection, hashTaggedPrefix } from '@lanes/queue';
import { createLogger, LanesMetrics, loadRuntimeConfig, type Env, type Logger, type RuntimeConfig, type TaskDefinition } from '@lanes/worker-core';
import { loadRagConfig, type RagConfig } from './config.ts';
import { DocumentJobs } from './corpus/document-jobs.ts';
import { CorpusDocuments } from './corpus/documents.ts';
import { IngestProgress } from './corpus/ingest-progress.ts';
import type { Embedding } from './embed/embedding.ts';
import { EmbeddingMetrics } from './embed/metrics.ts';
import { EmbeddingUsage } from './embed/usage.ts';
import { createDocumentExtractor } from './extract/extract-document.ts';
import { lazy, type Lazy } from './lazy.ts';
import { ragKeys, type RagKeys } from './redis-keys.ts';
import { CorpusVersion } from './search/corpus-version.ts';
import { QueryStats } from './search/query-stats.ts';
import { SearchService, type SearchOptions, type VectorSearch } from './search/search-service.ts';
import { Database, type DatabaseOptions } from './store/database.ts';
import { DocumentCatalog } from './store/document-catalog.ts';
import { DocumentStore } from './store/documents.ts';
import { ensureSpace, listSpaces, lookupSpace, type EmbeddingSpace, type SpaceIdentity } from './store/embedding-spaces.ts';
import { backfillLexicalTerms } from './store/lexical-backfill.ts';
import { assertMigrated, migrate } from './store/migrations.ts';
import { createBatchEmbedTask } from './tasks/batch-embed.ts';
import { createCacheWarmingTask } from './tasks/cache-warming.ts';
import { createIngestTask } from './tasks/ingest.ts';
import { createRebuildIndexTask } from './tasks/rebuild-index.ts';
import { createReconcileTask } from './tasks/reconcile.ts';
import { registerSchedules } from './tasks/schedules.ts';
import { createSearchTask } from './tasks/search.ts';

// The composition root: the one place that builds the adapters and hands each task, and each
// surface, the ones it uses. Heavy parts (the embedding models and the tokenizer behind them,
// extraction threads with pdf.js, the job-lookup client) are built on first use.

export interface RagOptions {
  /** Where settings come from; default process.env. */
  readonly env?: Env;
  /** The process's runtime config (REDIS_URL, LANES_PREFIX...); read from `env` when absent. */
  readonly runtime?: RuntimeConfig;
  /** Share the process's registry so embedding, search and index metrics appear on its /metrics. */
  readonly metrics?: LanesMetrics;
  readonly logger?: Logger;
}

export interface ReadinessCheck {
  readonly name: string;
  readonly check: () => Promise<void>;
}

/** In-process search, cached and counted for cache warming. */
export type Search = (query: string, k?: number, options?: SearchOptions) => Promise<SearchResponse>;

/** The spaces the configured models write to and search: primary, and the fallback model's. */
export interface ActiveSpaces {
  readonly primary: EmbeddingSpace;
  readonly fallback: EmbeddingSpace | undefined;
}

/** What a worker runs the built-in tasks with. */
export interface RagRuntime {
  readonly config: RagConfig;
  /** ingest, batch-embed, rebuild-index, cache-warming, reconcile, search. */
  readonly tasks: readonly TaskDefinition[];
  readonly readinessChecks: readonly ReadinessCheck[];
  readonly spaces: ActiveSpaces;
  /** The search the `search` task runs. */
  readonly search: Search;
  /** The configured models and their embedder (built on first call). */
  embedding(): Promise<Embedding>;
  /** Registers the configured schedules (LANES_REBUILD_INDEX_CRON, LANES_CACHE_WARMING_CRON, LANES_RECONCILE_CRON). */
  registerSchedules(client: LanesClient): Promise<void>;
  close(): Promise<void>;
}

/** What the CLI's reading commands and the dashboard use: no migrations, no tasks. */
export interface RagReader {
  readonly config: RagConfig;
  readonly readinessChecks: readonly ReadinessCheck[];
  readonly search: Search;
  /** List and delete documents. */
  readonly documents: CorpusDocuments;
  /** Embedding tokens and cost per day, for the dashboard's chart. */
  readonly usage: EmbeddingUsage;
  /** A Redis outage as DependencyUnavailableError naming Redis, its URL and the cause; other errors unchanged. */
  nameFailure(error: unknown): unknown;
  close(): Promise<void>;
}

/** Connections and the adapters both roles share. */
interface Foundation {
  readonly config: RagConfig;
  readonly runtime: RuntimeConfig;
  readonly logger: Logger;
  readonly metrics: LanesMetrics;
  readonly db: Database;
  readonly redis: Redis;
  readonly keys: RagKeys;
  readonly corpus: CorpusVersion;
  readonly usage: EmbeddingUsage;
  readonly embedding: Lazy<Embedding>;
  identity(model: string): SpaceIdentity;
  nameFailure(error: unknown): unknown;
  close(): Promise<void>;
}

function openFoundation(options: RagOptions, database: Pick<DatabaseOptions, 'checkSchema'>): Foundation {
  const env = options.env ?? process.env;
  const config = loadRagConfig(env);
  const runtime = options.runtime ?? loadRuntimeConfig(env);
  const logger = options.logger ?? createLogger(runtime.logLevel, { component: 'rag' });
  const metrics = options.metrics ?? new LanesMetrics({ defaultMetrics: false });
  const db = new Database({ url: config.databaseUrl, schema: config.pgSchema, logger, ...database });
  const redis = createProducerConnection(runtime.redisUrl);
  // The cause behind ioredis's generic "max retries" command errors (and no unhandled 'error' events).
  let redisError: Error | undefined;
  redis.on('error', (error: Error) => (redisError = error));
  redis.on('ready', () => (redisError = undefined));
  const prefix = hashTaggedPrefix(runtime.prefix);
  const keys = ragKeys(prefix);
  const usage = new EmbeddingUsage(redis, keys);
  // Registered now, so /metrics lists the embedding series before the first embedding.
  const embeddingMetrics = new EmbeddingMetrics(metrics, usage);
  const embedding = lazy(async () => {
    const { createEmbedding } = await import('./embed/embedding.ts');
    return createEmbedding(config.embedding, { redis, keys, prefix, metrics: embeddingMetrics, logger });
  });
  return {
    config,
    runtime,
    logger,
    metrics,
    db,
    redis,
    keys,
    corpus: new CorpusVersion(redis, keys),
    usage,
    embedding,
    identity: (model) => ({ provider: config.embedding.provider, model, dimensions: config.embedding.dimensions }),
    nameFailure: (error) => asDependencyError(error, 'redis', { url: runtime.redisUrl, ...definedOnly({ lastConnectionError: redisError }) }),
    close: async () => {
      await (await embedding.built())?.close();
      redis.disconnect();
      await db.close();
    },
  };
}

async function vectorSearch(f: Foundation, spaces: ActiveSpaces): Promise<VectorSearch> {
  const [embedding, [major, minor]] = await Promise.all([f.embedding.get(), f.db.vectorVersion()]);
  return {
    embedder: embedding.embedder,
    primary: { space: spaces.primary, provider: embedding.primary },
    fallback: spaces.fallback === undefined || embedding.fallback === undefined ? undefined : { space: spaces.fallback, provider: embedding.fallback },
    iterativeScan: major > 0 || minor >= 8,
  };
}

function searchService(f: Foundation, vectors: () => Promise<VectorSearch | undefined>): SearchService {
  return new SearchService({
    db: f.db,
    redis: f.redis,
    keys: f.keys,
    space: f.identity(f.config.embedding.model),
    vectors,
    corpus: f.corpus,
    stats: new QueryStats(f.redis, f.keys, f.config.cacheWarming.windowHours),
    efSearch: f.config.search.efSearch,
    vectorStorage: f.config.index.storage,
    resultCacheTtlSeconds: f.config.search.resultCacheTtlSeconds,
    fusion: f.config.search.fusion,
    metrics: f.metrics,
    logger: f.logger,
  });
}

const postgresReady = (db: Database): ReadinessCheck => ({ name: 'postgres', check: () => db.ping() });

/**
 * The built-in tasks for a worker:
 *
 *     const rag = await createRagRuntime({ runtime: config, metrics });
 *     const worker = new LanesWorker({ config, metrics, tasks: rag.tasks, readinessChecks: rag.readinessChecks });
 *     await worker.start(); await rag.registerSchedules(worker.client);
 *     ... await worker.close(); await rag.close();
 *
 * Migrates the schema (safe when many workers start at once), indexes chunks stored without
 * lexical terms and creates the configured spaces' vector tables: workers are the only
 * processes that change the schema. Throws ConfigError (one line naming the variable) for bad
 * settings, and fails when PostgreSQL cannot be reached or migrated.
 */
export async function createRagRuntime(options: RagOptions = {}): Promise<RagRuntime> {
  const f = openFoundation(options, {});
  const { config, db } = f;
  let spaces: ActiveSpaces;
  try {
    await migrate(db);
    if ((await backfillLexicalTerms(db)) > 0) await f.corpus.bump();
    const { model, fallbackModel } = config.embedding;
    spaces = {
      primary: await ensureSpace(db, f.identity(model), config.index),
      fallback: fallbackModel === undefined ? undefined : await ensureSpace(db, f.identity(fallbackModel), config.index),
    };
  } catch (error) {
    await f.close().catch(() => undefined);
    throw error;
  }
  const vectors = lazy(() => vectorSearch(f, spaces));
  const search = searchService(f, () => vectors.get());
  const documents = new DocumentStore(db);
  const progress = new IngestProgress(f.redis, f.keys);
  const extractor = createDocumentExtractor(config.extraction, config.extraction.threads);
  // Job states for the reconciler; its own connection, opened on its first run.
  const client = lazy(async () => new LanesClient({ redisUrl: f.runtime.redisUrl, prefix: f.runtime.prefix }));
  const allSpaces = (): Promise<EmbeddingSpace[]> => listSpaces(db);
  const tasks: TaskDefinition[] = [
    createIngestTask({ settings: config, documents, extractor, primary: spaces.primary, spaces: allSpaces, corpus: f.corpus, progress, jobs: new DocumentJobs(f.redis, f.keys) }),
    createBatchEmbedTask({ documents, vectors: () => vectors.get(), progress, db, index: config.index }),
    createRebuildIndexTask({ db, spaces: [spaces.primary, ...(spaces.fallback === undefined ? [] : [spaces.fallback])], index: config.index, corpus: f.corpus, metrics: f.metrics }),
    createCacheWarmingTask({ stats: new QueryStats(f.redis, f.keys, config.cacheWarming.windowHours), search, top: config.cacheWarming.top }),
    createReconcileTask({
      db,
      documents,
      primary: spaces.primary,
      spaces: allSpaces,
      jobState: async (jobId) => (await (await client.get()).status(jobId)).state,
      onPromoted: async () => {
        await f.corpus.bump();
      },
    }),
    createSearchTask({ search }),
  ];
  return {
    config,
    tasks,
    readinessChecks: [postgresReady(db)],
    spaces,
    search: (query, k, searchOptions) => search.search(query, k, searchOptions),
    embedding: () => f.embedding.get(),
    registerSchedules: (queueClient) => registerSchedules(queueClient, config.schedules),
    close: async () => {
      await extractor.close();
      await (await client.built())?.close();
      await f.close();
    },
  };
}

/**
 * Search, the corpus and embedding usage for the CLI and the dashboard. Never changes the
 * schema: the first statement checks that a worker has migrated it (SchemaNotMigratedError
 * otherwise, creating nothing). The embedding model is built on the first query that needs a
 * vector; a lexical search never builds it.
 */
export function createRagReader(options: RagOptions = {}): RagReader {
  const f = openFoundation(options, { checkSchema: assertMigrated });
  let vectors: Lazy<VectorSearch> | undefined;
  const findVectors = async (): Promise<VectorSearch | undefined> => {
    if (vectors === undefined) {
      const { model, fallbackModel } = f.config.embedding;
      const primary = await lookupSpace(f.db, f.identity(model));
      // No vector table for the configured model yet: nothing was embedded with it.
      if (primary === undefined) return undefined;
      const fallback = fallbackModel === undefined ? undefined : await lookupSpace(f.db, f.identity(fallbackModel));
      vectors ??= lazy(() => vectorSearch(f, { primary, fallback }));
    }
    return vectors.get();
  };
  const search = searchService(f, findVectors);
  const client = new LanesClient({ redisUrl: f.runtime.redisUrl, prefix: f.runtime.prefix });
  const catalog = new DocumentCatalog(f.db, { spaces: () => listSpaces(f.db), onChange: () => f.corpus.bump() });
  return {
    config: f.config,
    readinessChecks: [postgresReady(f.db)],
    search: (query, k, searchOptions) => search.search(query, k, searchOptions),
    documents: new CorpusDocuments({ catalog, jobs: new DocumentJobs(f.redis, f.keys), client }),
    usage: f.usage,
    nameFailure: (error) => f.nameFailure(error),
    close: async () => {
      await client.close();
      await f.close();
    },
  };
}

import type { Redis } from 'ioredis';
import { asDependencyError, type SearchResponse, definedOnly } from '@lanes/contracts';
import { LanesClient } from '@lanes/client';
import { createProducerConnection, hashTaggedPrefix } from '@lanes/queue';
import {
  createLogger,
  LanesMetrics,
  loadRuntimeConfig,
  type Env,
  type Logger,
  type RuntimeConfig,
  type TaskDefinition,
} from '@lanes/worker-core';
import { loadRagConfig, type RagConfig } from './config.ts';
import { DocumentJobs } from './corpus/document-jobs.ts';
import { CorpusDocuments } from './corpus/documents.ts';
import { IngestProgress } from './corpus/ingest-progress.ts';
import type { Embedding } from './embed/embedding.ts';
import { EmbeddingMetrics } from './embed/metrics.ts';
import { EmbeddingUsage } from './embed/usage.ts';
import { createDocumentExtractor } from './extract/extract-document.ts';
import { lazy, type Lazy } from './lazy.ts';
import { EmbeddingMigrations } from './migration/control.ts';
import { LiveSpaces, type ConfiguredSpaces, type SpaceHandle, type SpacesInUse } from './migration/live-spaces.ts';
import { spaceKey } from './embed/provider.ts';
import { ragKeys, type RagKeys } from './redis-keys.ts';
import { CorpusVersion } from './search/corpus-version.ts';
import { QueryStats } from './search/query-stats.ts';
import { SearchService, type SearchOptions, type SearchSpaces, type VectorSearch } from './search/search-service.ts';
import { Database, type DatabaseOptions } from './store/database.ts';
import { DocumentCatalog } from './store/document-catalog.ts';
import { DocumentStore } from './store/documents.ts';
import { EmbeddingMigrationStore } from './store/embedding-migrations.ts';
import {
  ensureSpace,
  listSpaces,
  lookupSpace,
  type EmbeddingSpace,
  type SpaceIdentity,
} from './store/embedding-spaces.ts';
import { backfillLexicalTerms } from './store/lexical-backfill.ts';
import { assertMigrated, migrate } from './store/migrations.ts';
import { createBatchEmbedTask } from './tasks/batch-embed.ts';
import { createCacheWarmingTask } from './tasks/cache-warming.ts';
import { createIngestTask } from './tasks/ingest.ts';
import { createMigrateEmbeddingsTask } from './tasks/migrate-embeddings.ts';
import { createMigrateEmbeddingsBatchTask } from './tasks/migrate-embeddings-batch.ts';
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
  /** ingest, batch-embed, rebuild-index, cache-warming, reconcile, search, migrate-embeddings, migrate-embeddings-batch. */
  readonly tasks: readonly TaskDefinition[];
  readonly readinessChecks: readonly ReadinessCheck[];
  /** The configured models' spaces (which one search reads is `lanes migrate-embeddings`'s to switch). */
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
  /** `lanes migrate-embeddings` and the dashboard's migration panel: start (enqueued for the workers), status, rollback, drop the old space. */
  readonly migrations: EmbeddingMigrations;
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
  /** Which space is live, embedding migrations: data, read by both roles. */
  readonly migrations: EmbeddingMigrationStore;
  /** pgvector >= 0.8 supports iterative index scans; asked once. */
  readonly iterativeScan: Lazy<boolean>;
  identity(model: string): SpaceIdentity;
  /** A space's model: the configured embedding's for the configured models' spaces, else one built for it (a migration's). */
  openSpace(space: EmbeddingSpace): Promise<SpaceHandle>;
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
  const embeddingDeps = { redis, keys, prefix, metrics: embeddingMetrics, logger };
  const embedding = lazy(async () => {
    const { createEmbedding } = await import('./embed/embedding.ts');
    return createEmbedding(config.embedding, embeddingDeps);
  });
  const identity = (model: string): SpaceIdentity => ({
    provider: config.embedding.provider,
    model,
    dimensions: config.embedding.dimensions,
  });
  const isConfigured = (model: string | undefined, space: EmbeddingSpace): boolean =>
    model !== undefined && spaceKey(identity(model)) === spaceKey(space);
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
    migrations: new EmbeddingMigrationStore(db),
    iterativeScan: lazy(async () => {
      const [major, minor] = await db.vectorVersion();
      return major > 0 || minor >= 8;
    }),
    identity,
    openSpace: async (space) => {
      const { model, fallbackModel } = config.embedding;
      if (isConfigured(model, space) || isConfigured(fallbackModel, space)) {
        const built = await embedding.get();
        return {
          space,
          provider: isConfigured(model, space) ? built.primary : built.fallback!,
          embedder: built.embedder,
        };
      }
      const { createSpaceModel } = await import('./embed/embedding.ts');
      const { provider, embedder } = await createSpaceModel(config.embedding, space, embeddingDeps);
      return { space, provider, embedder, close: async () => await provider.close?.() };
    },
    nameFailure: (error) =>
      asDependencyError(error, 'redis', { url: runtime.redisUrl, ...definedOnly({ lastConnectionError: redisError }) }),
    close: async () => {
      await (await embedding.built())?.close();
      redis.disconnect();
      await db.close();
    },
  };
}

/** The spaces in use as persisted (`lanes migrate-embeddings` switches them), with their models opened on first need. */
function liveSpaces(f: Foundation, configured: () => Promise<ConfiguredSpaces>): LiveSpaces {
  return new LiveSpaces({
    db: f.db,
    store: f.migrations,
    corpus: f.corpus,
    configured,
    open: (space) => f.openSpace(space),
  });
}

async function vectorSearch(f: Foundation, live: LiveSpaces, inUse: SpacesInUse): Promise<VectorSearch> {
  const [primary, fallback, iterativeScan] = await Promise.all([
    live.handle(inUse.live),
    inUse.fallback === undefined ? undefined : live.handle(inUse.fallback),
    f.iterativeScan.get(),
  ]);
  return { embedder: primary.embedder, primary, fallback, iterativeScan };
}

function searchSpaces(f: Foundation, live: LiveSpaces): SearchSpaces {
  return {
    // Before any space exists, results are keyed by the configured model's (all lexical then).
    live: async (version) => (await live.current(version))?.live ?? f.identity(f.config.embedding.model),
    vectors: async (version, chosen) => {
      if (chosen !== undefined)
        return {
          embedder: chosen.embedder,
          primary: chosen,
          fallback: undefined,
          iterativeScan: await f.iterativeScan.get(),
        };
      const inUse = await live.current(version);
      return inUse === undefined ? undefined : vectorSearch(f, live, inUse);
    },
  };
}

function searchService(f: Foundation, live: LiveSpaces): SearchService {
  return new SearchService({
    db: f.db,
    redis: f.redis,
    keys: f.keys,
    spaces: searchSpaces(f, live),
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
      fallback:
        fallbackModel === undefined ? undefined : await ensureSpace(db, f.identity(fallbackModel), config.index),
    };
  } catch (error) {
    await f.close().catch(() => undefined);
    throw error;
  }
  const live = liveSpaces(f, async () => spaces);
  // The configured model's space exists (created above), so some space is always in use here.
  const inUse = async (): Promise<SpacesInUse> => (await live.current())!;
  const search = searchService(f, live);
  const documents = new DocumentStore(db);
  const progress = new IngestProgress(f.redis, f.keys);
  const extractor = createDocumentExtractor(config.extraction, config.extraction.threads);
  // Job states for the reconciler; its own connection, opened on its first run.
  const client = lazy(async () => new LanesClient({ redisUrl: f.runtime.redisUrl, prefix: f.runtime.prefix }));
  const allSpaces = (): Promise<EmbeddingSpace[]> => listSpaces(db);
  const tasks: TaskDefinition[] = [
    createIngestTask({
      settings: config,
      documents,
      extractor,
      inUse,
      spaces: allSpaces,
      corpus: f.corpus,
      progress,
      jobs: new DocumentJobs(f.redis, f.keys),
    }),
    createBatchEmbedTask({
      documents,
      vectors: async () => {
        const current = await inUse();
        const [vectors, shadow] = await Promise.all([
          vectorSearch(f, live, current),
          current.shadow === undefined ? undefined : live.handle(current.shadow),
        ]);
        return { ...vectors, shadow };
      },
      progress,
      db,
      index: config.index,
    }),
    createRebuildIndexTask({
      db,
      spaces: async () => {
        const current = await inUse();
        return current.fallback === undefined ? [current.live] : [current.live, current.fallback];
      },
      index: config.index,
      corpus: f.corpus,
      metrics: f.metrics,
    }),
    createCacheWarmingTask({
      stats: new QueryStats(f.redis, f.keys, config.cacheWarming.windowHours),
      search,
      top: config.cacheWarming.top,
    }),
    createReconcileTask({
      db,
      documents,
      live: async () => (await inUse()).live,
      spaces: allSpaces,
      jobState: async (jobId) => (await (await client.get()).status(jobId)).state,
      onPromoted: async () => {
        await f.corpus.bump();
      },
    }),
    createSearchTask({ search }),
    createMigrateEmbeddingsTask({
      db,
      documents,
      store: f.migrations,
      corpus: f.corpus,
      search,
      logger: f.logger,
      batchSize: config.ingest.chunksPerChild,
      spaces: live,
      index: config.index,
    }),
    createMigrateEmbeddingsBatchTask({ db, documents, store: f.migrations, corpus: f.corpus, spaces: live }),
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
      await live.close();
      await f.close();
    },
  };
}

/**
 * Search, the corpus, embedding usage and embedding migrations for the CLI and the dashboard.
 * Never migrates the schema: the first statement checks that a worker has migrated it
 * (SchemaNotMigratedError otherwise, creating nothing); only starting an embedding migration
 * creates its target's vector table. The embedding model is built on the first query that
 * needs a vector; a lexical search never builds it.
 */
export function createRagReader(options: RagOptions = {}): RagReader {
  const f = openFoundation(options, { checkSchema: assertMigrated });
  let found: ConfiguredSpaces | undefined;
  const configured = async (): Promise<ConfiguredSpaces> => {
    if (found !== undefined) return found;
    const { model, fallbackModel } = f.config.embedding;
    // No vector table for the configured model until a worker creates it: looked up again then.
    const primary = await lookupSpace(f.db, f.identity(model));
    const fallback = fallbackModel === undefined ? undefined : await lookupSpace(f.db, f.identity(fallbackModel));
    if (primary !== undefined) found = { primary, fallback };
    return { primary, fallback };
  };
  const live = liveSpaces(f, configured);
  const search = searchService(f, live);
  const client = new LanesClient({ redisUrl: f.runtime.redisUrl, prefix: f.runtime.prefix });
  const catalog = new DocumentCatalog(f.db, { spaces: () => listSpaces(f.db), onChange: () => f.corpus.bump() });
  return {
    config: f.config,
    readinessChecks: [postgresReady(f.db)],
    search: (query, k, searchOptions) => search.search(query, k, searchOptions),
    documents: new CorpusDocuments({ catalog, jobs: new DocumentJobs(f.redis, f.keys), client }),
    usage: f.usage,
    migrations: new EmbeddingMigrations({
      db: f.db,
      store: f.migrations,
      spaces: live,
      corpus: f.corpus,
      client,
      index: f.config.index,
    }),
    nameFailure: (error) => f.nameFailure(error),
    close: async () => {
      await client.close();
      await live.close();
      await f.close();
    },
  };
}

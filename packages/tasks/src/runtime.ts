import type { LanesClient } from '@lanes/client';
import { loadRuntimeConfig, type Env, type LanesMetrics, type Logger, type RuntimeConfig, type TaskDefinition } from '@lanes/worker-core';
import { loadRagConfig, type RagConfig } from './config.ts';
import type { SearchResponse } from '@lanes/contracts';
import type { SearchOptions, SearchService } from './search/search-service.ts';
import { createRagServices, type RagServices } from './services.ts';
import { createBatchEmbedTask } from './tasks/batch-embed.ts';
import { createCacheWarmingTask } from './tasks/cache-warming.ts';
import { createIngestTask } from './tasks/ingest.ts';
import { createMigrateEmbeddingsTask } from './tasks/migrate-embeddings.ts';
import { createMigrateEmbeddingsBatchTask } from './tasks/migrate-embeddings-batch.ts';
import { EmbeddingMigrations } from './migration/control.ts';
import { createRebuildIndexTask } from './tasks/rebuild-index.ts';
import { createReconcileTask } from './tasks/reconcile.ts';
import { registerSchedules } from './tasks/schedules.ts';
import { createSearchTask } from './tasks/search.ts';

export interface ReadinessCheck {
  readonly name: string;
  readonly check: () => Promise<void>;
}

export interface RagRuntime {
  readonly config: RagConfig;
  /** All built-in tasks: ingest, batch-embed, rebuild-index, cache-warming, reconcile, search. */
  readonly tasks: readonly TaskDefinition[];
  readonly readinessChecks: readonly ReadinessCheck[];
  /** LANES_ALLOWED_ROOTS, resolved: where `ingest` paths sent over HTTP must lie. */
  readonly allowedRoots: readonly string[];
  /** In-process semantic search (cached, counted for cache warming). */
  search(query: string, k?: number, options?: SearchOptions): Promise<SearchResponse>;
  readonly searchService: SearchService;
  readonly services: RagServices;
  /** `lanes migrate-embeddings`: start, status, rollback, drop the old space. */
  readonly migrations: EmbeddingMigrations;
  /** Registers the configured schedules (LANES_REBUILD_INDEX_CRON, LANES_CACHE_WARMING_CRON, LANES_RECONCILE_CRON). */
  registerSchedules(client: LanesClient): Promise<void>;
  close(): Promise<void>;
}

export interface RagRuntimeOptions {
  /** Where settings come from; default process.env. */
  readonly env?: Env;
  /** The worker's runtime config (REDIS_URL, LANES_PREFIX...); read from `env` when absent. */
  readonly runtime?: RuntimeConfig;
  /** Share the worker's registry so embedding and index metrics appear on its /metrics. */
  readonly metrics?: LanesMetrics;
  readonly logger?: Logger;
  /** Start the extraction threads before returning (default true). */
  readonly warmExtraction?: boolean;
}

/**
 * Everything a worker needs for the RAG tasks:
 *
 *     const rag = await createRagRuntime({ runtime: config, metrics });
 *     const worker = new LanesWorker({ config, metrics, tasks: rag.tasks, readinessChecks: rag.readinessChecks });
 *     await worker.start(); await rag.registerSchedules(worker.client);
 *     ... await worker.close(); await rag.close();
 *
 * Throws ConfigError (one line naming the variable) for bad settings, and fails when
 * PostgreSQL cannot be reached or migrated.
 */
export async function createRagRuntime(options: RagRuntimeOptions = {}): Promise<RagRuntime> {
  const env = options.env ?? process.env;
  const config = loadRagConfig(env);
  const runtime = options.runtime ?? loadRuntimeConfig(env);
  const services = await createRagServices(config, runtime, options);
  // Load pdf.js and the tokenizer in the extraction threads now rather than in the first job
  // (about a second per thread; capped so a slow machine still starts).
  if (options.warmExtraction !== false) {
    await Promise.race([services.extractor.warm(), new Promise((resolve) => setTimeout(resolve, 15_000).unref())]);
  }
  const tasks: TaskDefinition[] = [
    createIngestTask(services),
    createBatchEmbedTask(services),
    createRebuildIndexTask(services),
    createCacheWarmingTask(services),
    createReconcileTask(services),
    createSearchTask(services),
    createMigrateEmbeddingsTask(services),
    createMigrateEmbeddingsBatchTask(services),
  ];
  return {
    config,
    tasks,
    readinessChecks: [{ name: 'postgres', check: () => services.db.ping() }],
    allowedRoots: config.allowedRoots,
    search: (query, k, searchOptions) => services.search.search(query, k, searchOptions),
    searchService: services.search,
    services,
    migrations: new EmbeddingMigrations({
      db: services.db,
      store: services.migrations,
      spaces: services.spaces,
      corpus: services.corpus,
      client: services.client,
      index: config.index,
    }),
    registerSchedules: (client) => registerSchedules(client, config.schedules),
    close: () => services.close(),
  };
}

export interface SearchServiceHandle {
  search(query: string, k?: number, options?: SearchOptions): Promise<SearchResponse>;
  close(): Promise<void>;
}

/** In-process search for the CLI and the dashboard: no worker, no queue round trip. */
export async function createSearchService(options: RagRuntimeOptions = {}): Promise<SearchServiceHandle> {
  const env = options.env ?? process.env;
  const services = await createRagServices(loadRagConfig(env), options.runtime ?? loadRuntimeConfig(env), options);
  return {
    search: (query, k, searchOptions) => services.search.search(query, k, searchOptions),
    close: () => services.close(),
  };
}

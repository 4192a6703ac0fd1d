import type { SearchRequest, SearchResponse } from '@lanes/contracts';
import type { CorpusDocuments, EmbeddingUsage } from '@lanes/tasks';
import type { LanesClient } from '@lanes/client';
import type { LanesMetrics, Logger, RuntimeConfig, TaskDefinition } from '@lanes/worker-core';

/**
 * The built-in RAG runtime as the surfaces use it: tasks for workers, in-process search for the
 * CLI and dashboard, the PostgreSQL readiness check, the path guard for ingest over HTTP.
 * Loaded only by commands that need it, so `lanes enqueue` never opens a database pool.
 */
export interface BuiltinRuntime {
  readonly tasks: readonly TaskDefinition[];
  readonly readinessChecks: ReadonlyArray<{ name: string; check: () => Promise<void> }>;
  readonly allowedRoots: readonly string[];
  assertPath(path: string, roots: readonly string[]): string;
  /** `record: false` keeps the query out of cache-warming statistics (eval). */
  search(request: SearchRequest, options?: { record?: boolean }): Promise<SearchResponse>;
  /** The corpus: list and delete documents. */
  readonly documents: Pick<CorpusDocuments, 'list' | 'deleteByIds' | 'deleteBySources' | 'tenants'>;
  /** Embedding tokens and cost per day, for the dashboard's chart. */
  readonly usage: Pick<EmbeddingUsage, 'daily'>;
  /** Upserts the rebuild-index and cache-warming job schedulers: idempotent, once per fleet. */
  registerSchedules(client: LanesClient): Promise<void>;
  close(): Promise<void>;
}

export interface BuiltinOptions {
  /** The process's registry, so embedding, search and index metrics join the job metrics. */
  readonly metrics?: LanesMetrics;
  readonly logger?: Logger;
  /** Commands that run jobs start the extraction threads up front; search and dashboard do not. */
  readonly runsJobs?: boolean;
}

export async function loadBuiltins(config: RuntimeConfig, options: BuiltinOptions = {}): Promise<BuiltinRuntime> {
  const tasks = await import('@lanes/tasks');
  const rag = await tasks.createRagRuntime({
    runtime: config,
    warmExtraction: options.runsJobs === true,
    ...(options.metrics !== undefined && { metrics: options.metrics }),
    ...(options.logger !== undefined && { logger: options.logger }),
  });
  const corpus = rag.services.corpusDocuments;
  /** Failures say which service is down and where (PostgreSQL's are named by the store already). */
  const named = <T>(operation: Promise<T>): Promise<T> =>
    operation.catch((error: unknown) => {
      throw rag.services.nameFailure(error);
    });
  return {
    tasks: rag.tasks,
    readinessChecks: rag.readinessChecks,
    allowedRoots: rag.config.allowedRoots,
    assertPath: tasks.assertAllowedPath,
    search: ({ query, k, mode, filter, tenant }, options = {}) =>
      named(rag.search(query, k, { mode, ...(filter !== undefined && { filter }), ...(tenant !== undefined && { tenant }), ...(options.record !== undefined && { record: options.record }) })),
    documents: {
      list: (filter) => named(corpus.list(filter)),
      tenants: () => named(corpus.tenants()),
      deleteByIds: (ids) => named(corpus.deleteByIds(ids)),
      deleteBySources: (sources, tenant) => named(corpus.deleteBySources(sources, tenant)),
    },
    usage: { daily: (days) => named(rag.services.usage.daily(days)) },
    registerSchedules: (client) => rag.registerSchedules(client),
    close: () => rag.close(),
  };
}

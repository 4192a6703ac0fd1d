import type { SearchRequest, SearchResponse } from '@lanes/contracts';
import type { CorpusDocuments, EmbeddingMigrations, EmbeddingUsage } from '@lanes/tasks/runtime';
import type { LanesClient } from '@lanes/client';
import type { LanesMetrics, Logger, RuntimeConfig, TaskDefinition } from '@lanes/worker-core';
import { definedOnly } from '@lanes/contracts';

// The built-in RAG layer as the surfaces use it, loaded only by the commands that need it (so
// `lanes enqueue` and a `--no-builtins` worker never load it): the tasks for a worker, which
// migrates the schema; search and the corpus for the reading commands and the dashboard, which
// never change the schema.

type ReadinessChecks = ReadonlyArray<{ name: string; check: () => Promise<void> }>;

export interface BuiltinOptions {
  /** The process's registry, so embedding, search and index metrics join the job metrics. */
  readonly metrics?: LanesMetrics;
  readonly logger?: Logger;
}

export interface BuiltinTasks {
  readonly tasks: readonly TaskDefinition[];
  readonly readinessChecks: ReadinessChecks;
  /** Upserts the rebuild-index, cache-warming and reconcile job schedulers: idempotent, once per fleet. */
  registerSchedules(client: LanesClient): Promise<void>;
  close(): Promise<void>;
}

export interface BuiltinReader {
  readonly readinessChecks: ReadinessChecks;
  /** LANES_ALLOWED_ROOTS, resolved: where `ingest` paths sent over HTTP must lie. */
  readonly allowedRoots: readonly string[];
  assertPath(path: string, roots: readonly string[]): string;
  /** `record: false` keeps the query out of cache-warming statistics (eval). */
  search(request: SearchRequest, options?: { record?: boolean }): Promise<SearchResponse>;
  /** The corpus: list and delete documents. */
  readonly documents: Pick<CorpusDocuments, 'list' | 'deleteByIds' | 'deleteBySources' | 'tenants'>;
  /** Embedding tokens and cost per day, for the dashboard's chart. */
  readonly usage: Pick<EmbeddingUsage, 'daily'>;
  /** `lanes migrate-embeddings` and the dashboard's migration panel. */
  readonly migrations: Pick<EmbeddingMigrations, 'start' | 'status' | 'rollback' | 'dropOld'>;
  close(): Promise<void>;
}

/** The built-in tasks for a worker; migrates the schema. */
export async function loadBuiltinTasks(config: RuntimeConfig, options: BuiltinOptions = {}): Promise<BuiltinTasks> {
  const { createRagRuntime } = await import('@lanes/tasks/runtime');
  const rag = await createRagRuntime({ runtime: config, ...options });
  return {
    tasks: rag.tasks,
    readinessChecks: rag.readinessChecks,
    registerSchedules: (client) => rag.registerSchedules(client),
    close: () => rag.close(),
  };
}

/** Search, the corpus and embedding migrations for the CLI's commands and the dashboard; never migrates the schema. */
export async function openBuiltinReader(config: RuntimeConfig, options: BuiltinOptions = {}): Promise<BuiltinReader> {
  const { createRagReader, assertAllowedPath } = await import('@lanes/tasks/runtime');
  const rag = createRagReader({ runtime: config, ...options });
  const corpus = rag.documents;
  /** Failures say which service is down and where (PostgreSQL's are named by the store already). */
  const named = <T>(operation: Promise<T>): Promise<T> =>
    operation.catch((error: unknown) => {
      throw rag.nameFailure(error);
    });
  return {
    readinessChecks: rag.readinessChecks,
    allowedRoots: rag.config.allowedRoots,
    assertPath: assertAllowedPath,
    search: ({ query, k, mode, filter, tenant }, searchOptions = {}) =>
      named(rag.search(query, k, { mode, ...definedOnly({ filter, tenant }), ...searchOptions })),
    documents: {
      list: (filter) => named(corpus.list(filter)),
      tenants: () => named(corpus.tenants()),
      deleteByIds: (ids) => named(corpus.deleteByIds(ids)),
      deleteBySources: (sources, tenant) => named(corpus.deleteBySources(sources, tenant)),
    },
    usage: { daily: (days) => named(rag.usage.daily(days)) },
    migrations: {
      start: (target, startOptions) => named(rag.migrations.start(target, startOptions)),
      status: () => named(rag.migrations.status()),
      rollback: () => named(rag.migrations.rollback()),
      dropOld: () => named(rag.migrations.dropOld()),
    },
    close: () => rag.close(),
  };
}

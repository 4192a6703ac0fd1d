import type { SearchRequest, SearchResponse } from '@lanes/contracts';
import type { LanesClient, LanesMetrics, Logger, RuntimeConfig, TaskDefinition } from '@lanes/worker-core';

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
  return {
    tasks: rag.tasks,
    readinessChecks: rag.readinessChecks,
    allowedRoots: rag.config.allowedRoots,
    assertPath: tasks.assertAllowedPath,
    search: ({ query, k, mode, filter }, options = {}) => rag.search(query, k, { mode, ...(filter !== undefined && { filter }), ...(options.record !== undefined && { record: options.record }) }),
    registerSchedules: (client) => rag.registerSchedules(client),
    close: () => rag.close(),
  };
}

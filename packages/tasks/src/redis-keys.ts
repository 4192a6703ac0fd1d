import type { Redis } from 'ioredis';

/**
 * Every Redis key the RAG layer uses, under the queue's hash-tagged prefix (`{lanes}`), so the
 * multi-key commands (MGET, ZUNION, lock scripts) stay within one Redis Cluster slot.
 */
export interface RagKeys {
  readonly corpusVersion: string;
  queryCounts(hourBucket: number): string;
  searchResult(corpusVersion: string, space: string, k: number, queryHash: string): string;
  embedBudget(provider: string, model: string): string;
  ingestProgress(jobId: string): string;
  /** Hash: document (documentJobField) -> `lane:jobId` of the newest ingest job for it. */
  readonly documentJobs: string;
  /** Hash of `tokens` and `costUsd` embedded on one UTC day (`YYYY-MM-DD`). */
  embedUsage(day: string): string;
}

/**
 * A document's field in `documentJobs`: its source, or for a tenant's document NUL, tenant, NUL,
 * source (PostgreSQL text holds no NUL, so no source can look like it).
 */
export function documentJobField(tenant: string | null | undefined, source: string): string {
  return tenant === null || tenant === undefined ? source : `\u0000${tenant}\u0000${source}`;
}

export function ragKeys(prefix: string): RagKeys {
  return {
    corpusVersion: `${prefix}:rag:corpus-version`,
    queryCounts: (hourBucket) => `${prefix}:rag:queries:${hourBucket}`,
    searchResult: (version, space, k, queryHash) => `${prefix}:rag:search:${version}:${space}:${k}:${queryHash}`,
    embedBudget: (provider, model) => `${prefix}:rate:embed:${provider}:${model}`,
    ingestProgress: (jobId) => `${prefix}:rag:ingest-progress:${jobId}`,
    documentJobs: `${prefix}:rag:document-jobs`,
    embedUsage: (day) => `${prefix}:rag:embed-usage:${day}`,
  };
}

/** What every Redis adapter of the RAG layer holds: the connection and the key names. */
export abstract class RagRedisAdapter {
  protected readonly redis: Redis;
  protected readonly keys: RagKeys;

  constructor(redis: Redis, keys: RagKeys) {
    this.redis = redis;
    this.keys = keys;
  }
}

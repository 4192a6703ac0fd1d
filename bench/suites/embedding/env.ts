import { REPO_ROOT } from '../../lib/worker-process.ts';

export interface EmbeddingEnvOptions {
  readonly redisUrl: string;
  readonly databaseUrl: string;
  readonly prefix: string;
  readonly schema: string;
  readonly serverUrl: string;
  /** The provider's limit, which Lanes is told as its shared budget (requests per second). */
  readonly requestsPerSecond: number;
  readonly batchSize: number;
}

/**
 * The app's settings for an OpenAI-compatible provider at a local fake server: the budget set to
 * the provider's published limit (per minute, as providers state it, with a 1 s window so the
 * bucket's burst is one second's worth), small chunks so a run makes many requests.
 */
export function embeddingEnv(o: EmbeddingEnvOptions): Record<string, string> {
  return {
    REDIS_URL: o.redisUrl,
    DATABASE_URL: o.databaseUrl,
    LANES_PREFIX: o.prefix,
    LANES_PG_SCHEMA: o.schema,
    EMBEDDING_PROVIDER: 'openai',
    OPENAI_API_KEY: 'sk-bench',
    OPENAI_BASE_URL: o.serverUrl,
    EMBEDDING_MODEL: 'text-embedding-3-small',
    EMBEDDING_DIMENSIONS: '256',
    LANES_EMBED_RPM: String(o.requestsPerSecond * 60),
    LANES_EMBED_TPM: '100000000',
    LANES_EMBED_BUDGET_WINDOW_MS: '1000',
    LANES_EMBED_BATCH_SIZE: String(o.batchSize),
    LANES_CHUNK_TOKENS: '64',
    LANES_CHUNK_OVERLAP: '8',
    LANES_REBUILD_INDEX_CRON: 'off',
    LANES_CACHE_WARMING_CRON: 'off',
    LANES_ALLOWED_ROOTS: REPO_ROOT,
    LOG_LEVEL: 'warn',
  };
}

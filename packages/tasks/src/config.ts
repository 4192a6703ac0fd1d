import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { ConfigError, DEFAULT_DATABASE_URL, HNSW_BOUNDS, registerSecretsFrom } from '@lanes/contracts';
import { envDurationMs, envEnum, envInt, envOptional, envString, envUrl, type Env } from '@lanes/worker-core';
import {
  DEFAULT_EMBEDDING_PROVIDER,
  embeddingProviderAdapter,
  embeddingProviderNames,
  type ModelShape,
} from './embed/providers.ts';
import type { ExtractionLimits } from './extract/extract-document.ts';
import { FUSION_DEFAULTS, type FusionOptions } from './search/fusion.ts';
import { VECTOR_STORAGES, type IndexPolicy, type SpaceIdentity } from './store/embedding-spaces.ts';

/** pgvector's `vector` type stores at most 16000 dimensions (indexes: 2000, or 4000 as halfvec). */
const MAX_DIMENSIONS = 16_000;
const MAX_INDEXABLE_DIMENSIONS = 4000;

export interface EmbeddingBudgetConfig {
  /** Requests allowed per window, shared by every worker (the bucket size). */
  readonly requests: number;
  readonly tokens: number;
  readonly windowMs: number;
}

export interface EmbeddingConfig {
  /** A registered provider's name (embed/providers.ts). */
  readonly provider: string;
  readonly model: string;
  /** Used when the primary model keeps failing; its vectors live in their own space (README). */
  readonly fallbackModel: string | undefined;
  readonly dimensions: number;
  readonly apiKey: string | undefined;
  readonly baseUrl: string | undefined;
  /** Per HTTP request. */
  readonly timeoutMs: number;
  /** HTTP attempts per request, first included, before the fallback model (or failure). */
  readonly maxAttempts: number;
  /** Inputs per provider request (OpenAI allows 2048). */
  readonly batchSize: number;
  readonly budget: EmbeddingBudgetConfig;
  readonly cacheTtlSeconds: number;
  /** Threads for a local model that runs in threads (use-lite), started on first use. */
  readonly localModelThreads: number;
}

export interface RagConfig {
  readonly databaseUrl: string;
  readonly pgSchema: string;
  readonly allowedRoots: readonly string[];
  readonly embedding: EmbeddingConfig;
  readonly chunking: { readonly maxTokens: number; readonly overlapTokens: number };
  readonly extraction: ExtractionLimits & { readonly threads: number };
  readonly ingest: { readonly chunksPerChild: number };
  readonly index: IndexPolicy;
  readonly search: {
    readonly efSearch: number;
    readonly resultCacheTtlSeconds: number;
    readonly fusion: FusionOptions;
  };
  readonly schedules: {
    readonly rebuildIndexCron: string | undefined;
    readonly cacheWarmingCron: string | undefined;
    readonly reconcileCron: string | undefined;
  };
  readonly cacheWarming: { readonly top: number; readonly windowHours: number };
}

function pgSchema(env: Env): string {
  const schema = envString(env, 'LANES_PG_SCHEMA', 'public');
  // Interpolated into DDL as an identifier, so only plain lower-case identifiers are accepted.
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new ConfigError('LANES_PG_SCHEMA', `must be a lower-case SQL identifier, got "${schema}"`);
  return schema;
}

function allowedRoots(env: Env): string[] {
  const raw = envOptional(env, 'LANES_ALLOWED_ROOTS');
  if (raw === undefined) return [process.cwd()];
  const roots = raw.split(':').filter((part) => part.trim() !== '');
  if (roots.length === 0)
    throw new ConfigError('LANES_ALLOWED_ROOTS', 'must list at least one directory (colon-separated)');
  return roots.map((root) => resolve(root));
}

/** A cron pattern of 5 or 6 fields, or `off` to disable the schedule. */
function cron(env: Env, name: string, fallback: string): string | undefined {
  const raw = envString(env, name, fallback).trim();
  if (raw === 'off' || raw === 'none') return undefined;
  const fields = raw.split(/\s+/);
  if (fields.length < 5 || fields.length > 6 || !fields.every((field) => /^[\d*/,\-A-Za-z?LW#]+$/.test(field))) {
    throw new ConfigError(name, `must be a cron pattern of 5 or 6 fields or "off", got "${raw}"`);
  }
  return raw;
}

/** What is wrong with a requested embedding space, and which part (`provider`, `model`, `dimensions`). */
export interface SpaceProblem {
  readonly part: 'provider' | 'model' | 'dimensions';
  readonly message: string;
}

/**
 * The one rule for which (provider, model, dimensions) Lanes can embed into and index, shared
 * by the configuration (EMBEDDING_*) and `lanes migrate-embeddings --to`. Dimensions default to
 * the model's own size.
 */
export function resolveEmbeddingSpace(
  provider: string,
  model: string | undefined,
  dimensions: number | undefined,
): { identity: SpaceIdentity } | { problem: SpaceProblem } {
  const adapter = embeddingProviderAdapter(provider);
  if (adapter === undefined)
    return {
      problem: {
        part: 'provider',
        message: `must be one of ${embeddingProviderNames().join(', ')}, got "${provider}"`,
      },
    };
  const chosen = model ?? adapter.defaultModel;
  let shape: ModelShape;
  try {
    shape = adapter.model(chosen);
  } catch (error) {
    // The adapter names the model's problem as a configuration one (EMBEDDING_MODEL ...).
    if (error instanceof ConfigError)
      return {
        problem: { part: 'model', message: error.message.slice(`invalid configuration: ${error.variable} `.length) },
      };
    throw error;
  }
  const size = dimensions ?? shape.defaultDimensions;
  if (!Number.isInteger(size) || size < 1 || size > MAX_DIMENSIONS)
    return { problem: { part: 'dimensions', message: `must be an integer in 1..${MAX_DIMENSIONS}, got ${size}` } };
  if (shape.fixedDimensions && size !== shape.defaultDimensions) {
    return {
      problem: {
        part: 'dimensions',
        message: `must be ${shape.defaultDimensions} (or unset) with model ${chosen}, got ${size}`,
      },
    };
  }
  if (size > MAX_INDEXABLE_DIMENSIONS) {
    return {
      problem: {
        part: 'dimensions',
        message: `must be <= ${MAX_INDEXABLE_DIMENSIONS} so pgvector can index it (halfvec above 2000), got ${size}`,
      },
    };
  }
  return { identity: { provider, model: chosen, dimensions: size } };
}

function embeddingConfig(env: Env): EmbeddingConfig {
  const provider = envEnum(env, 'EMBEDDING_PROVIDER', embeddingProviderNames(), DEFAULT_EMBEDDING_PROVIDER);
  const adapter = embeddingProviderAdapter(provider)!;
  const fallbackModel = envOptional(env, 'EMBEDDING_FALLBACK_MODEL');
  if (fallbackModel !== undefined && !adapter.failsOver) {
    throw new ConfigError(
      'EMBEDDING_FALLBACK_MODEL',
      `has no meaning with EMBEDDING_PROVIDER=${provider} (its model cannot fail over)`,
    );
  }
  const rawDimensions = envOptional(env, 'EMBEDDING_DIMENSIONS');
  const resolved = resolveEmbeddingSpace(
    provider,
    envOptional(env, 'EMBEDDING_MODEL'),
    rawDimensions === undefined ? undefined : envInt(env, 'EMBEDDING_DIMENSIONS', 0, { min: 1, max: MAX_DIMENSIONS }),
  );
  if ('problem' in resolved)
    throw new ConfigError(
      resolved.problem.part === 'dimensions' ? 'EMBEDDING_DIMENSIONS' : 'EMBEDDING_MODEL',
      resolved.problem.message,
    );
  const { model, dimensions } = resolved.identity;
  if (fallbackModel === model)
    throw new ConfigError('EMBEDDING_FALLBACK_MODEL', `must differ from EMBEDDING_MODEL ("${model}")`);
  const apiKey = envOptional(env, 'OPENAI_API_KEY');
  const baseUrl =
    envOptional(env, 'OPENAI_BASE_URL') === undefined
      ? undefined
      : envUrl(env, 'OPENAI_BASE_URL', ['http:', 'https:'], '');
  const windowMs = envDurationMs(env, 'LANES_EMBED_BUDGET_WINDOW_MS', 60_000, { min: 100 });
  // RPM/TPM are per minute, as providers publish them; a shorter window scales the bucket down
  // (same rate, smaller burst).
  const perWindow = (perMinute: number): number => Math.max(1, Math.floor((perMinute * windowMs) / 60_000));
  const config: EmbeddingConfig = {
    provider,
    model,
    fallbackModel,
    dimensions,
    apiKey,
    baseUrl,
    timeoutMs: envDurationMs(env, 'LANES_EMBED_TIMEOUT_MS', 30_000, { min: 100 }),
    maxAttempts: envInt(env, 'LANES_EMBED_MAX_ATTEMPTS', 5, { min: 1, max: 20 }),
    batchSize: envInt(env, 'LANES_EMBED_BATCH_SIZE', 512, { min: 1, max: 2048 }),
    budget: {
      requests: perWindow(envInt(env, 'LANES_EMBED_RPM', 3000, { min: 1 })),
      tokens: perWindow(envInt(env, 'LANES_EMBED_TPM', 1_000_000, { min: 1 })),
      windowMs,
    },
    cacheTtlSeconds: envInt(env, 'LANES_EMBED_CACHE_TTL_S', 7 * 24 * 3600, { min: 60 }),
    // Half the cores, as for extraction: the event loop and PostgreSQL need the rest.
    localModelThreads: envInt(env, 'LANES_LOCAL_MODEL_THREADS', Math.max(1, Math.floor(availableParallelism() / 2)), {
      min: 1,
      max: 64,
    }),
  };
  adapter.checkSettings?.(config);
  return config;
}

/**
 * Reads the RAG settings. A missing or malformed value throws ConfigError naming the variable,
 * so start-up stops with one line.
 */
export function loadRagConfig(env: Env = process.env): RagConfig {
  registerSecretsFrom(env);
  const maxTokens = envInt(env, 'LANES_CHUNK_TOKENS', 400, { min: 32, max: 8192 });
  const overlapTokens = envInt(env, 'LANES_CHUNK_OVERLAP', 60, { min: 0 });
  if (overlapTokens >= maxTokens / 2)
    throw new ConfigError('LANES_CHUNK_OVERLAP', `must be less than half of LANES_CHUNK_TOKENS (${maxTokens})`);
  return {
    databaseUrl: envUrl(env, 'DATABASE_URL', ['postgres:', 'postgresql:'], DEFAULT_DATABASE_URL),
    pgSchema: pgSchema(env),
    allowedRoots: allowedRoots(env),
    embedding: embeddingConfig(env),
    chunking: { maxTokens, overlapTokens },
    extraction: {
      maxBytes: envInt(env, 'LANES_MAX_DOCUMENT_BYTES', 100 * 1024 * 1024, { min: 1 }),
      maxPages: envInt(env, 'LANES_MAX_PDF_PAGES', 10_000, { min: 1 }),
      maxHeapMb: envInt(env, 'LANES_EXTRACT_HEAP_MB', 1024, { min: 64 }),
      timeoutMs: envDurationMs(env, 'LANES_EXTRACT_TIMEOUT_MS', 10 * 60_000, { min: 100 }),
      maxMemoryMb: envInt(env, 'LANES_EXTRACT_MEMORY_MB', 1536, { min: 64 }),
      maxTextChars: envInt(env, 'LANES_MAX_TEXT_CHARS', 50_000_000, { min: 1000 }),
      pagesPerSlice: envInt(env, 'LANES_PDF_PAGES_PER_SLICE', 25, { min: 1, max: 1000 }),
      // Half the cores: the event loop, the embedder and PostgreSQL need the rest.
      threads: envInt(env, 'LANES_EXTRACT_THREADS', Math.max(1, Math.floor(availableParallelism() / 2)), {
        min: 1,
        max: 64,
      }),
    },
    ingest: { chunksPerChild: envInt(env, 'LANES_EMBED_CHUNKS_PER_JOB', 256, { min: 1, max: 2048 }) },
    index: {
      m: envInt(env, 'LANES_HNSW_M', 16, HNSW_BOUNDS.m),
      efConstruction: envInt(env, 'LANES_HNSW_EF_CONSTRUCTION', 64, HNSW_BOUNDS.efConstruction),
      minRows: envInt(env, 'LANES_HNSW_MIN_ROWS', 10_000, { min: 0 }),
      storage: envEnum(env, 'LANES_VECTOR_STORAGE', VECTOR_STORAGES, 'vector'),
    },
    search: {
      efSearch: envInt(env, 'LANES_HNSW_EF_SEARCH', 100, { min: 1, max: 1000 }),
      resultCacheTtlSeconds: envInt(env, 'LANES_SEARCH_CACHE_TTL_S', 600, { min: 1 }),
      fusion: {
        depth: envInt(env, 'LANES_SEARCH_DEPTH', FUSION_DEFAULTS.depth, { min: 1, max: 1000 }),
        rrfK: envInt(env, 'LANES_SEARCH_RRF_K', FUSION_DEFAULTS.rrfK, { min: 0, max: 1000 }),
        vectorWeight: envWeight(env, 'LANES_SEARCH_VECTOR_WEIGHT', FUSION_DEFAULTS.vectorWeight),
        lexicalWeight: envWeight(env, 'LANES_SEARCH_LEXICAL_WEIGHT', FUSION_DEFAULTS.lexicalWeight),
      },
    },
    schedules: {
      rebuildIndexCron: cron(env, 'LANES_REBUILD_INDEX_CRON', '0 3 * * *'),
      cacheWarmingCron: cron(env, 'LANES_CACHE_WARMING_CRON', '*/10 * * * *'),
      reconcileCron: cron(env, 'LANES_RECONCILE_CRON', '*/5 * * * *'),
    },
    cacheWarming: {
      top: envInt(env, 'LANES_WARM_TOP', 50, { min: 1, max: 1000 }),
      windowHours: envInt(env, 'LANES_WARM_WINDOW_HOURS', 24, { min: 1, max: 24 * 30 }),
    },
  };
}

/** A fusion weight: a decimal number in 0..100 (0 leaves that list out of hybrid search). */
function envWeight(env: Env, name: string, fallback: number): number {
  const raw = envOptional(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 100)
    throw new ConfigError(name, `must be a number in 0..100, got "${raw}"`);
  return value;
}

import type { ContractRegistry, SearchRequest, SearchResponse } from '@lanes/contracts';
import type { LanesClient } from '@lanes/client';
import type { LanesMetrics, Logger, RuntimeConfig } from '@lanes/worker-core';
import type { UsageSource } from './series.ts';

/** A dependency the dashboard must reach to be ready (PostgreSQL, added by the CLI). Throws when not ready. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<unknown>;
}

/** Semantic search as the dashboard calls it; the CLI injects the in-process search of @lanes/tasks. */
export type SearchFunction = (request: SearchRequest) => Promise<SearchResponse>;

/** One entry of the `documents` JSON shape (CONTRACT.md); `lastJob` is the newest ingest job, if retained. */
export interface DocumentEntry {
  readonly id: string;
  readonly source: string;
  readonly tenant: string | null;
  readonly state: string;
  readonly pages: number;
  readonly chunks: number;
  readonly updatedAt: string;
  readonly lastJob: {
    readonly id: string;
    readonly state: string;
    readonly progress: unknown;
    readonly failedReason: string | null;
  } | null;
}

/** Documents and chunks of one tenant (null: of no tenant). */
export interface TenantCorpusEntry {
  readonly tenant: string | null;
  readonly documents: number;
  readonly chunks: number;
}

/** The corpus behind `/api/documents`; the CLI injects the one of @lanes/tasks (CorpusDocuments). */
export interface DocumentsBackend {
  list(filter: { readonly tenant?: string }): Promise<readonly DocumentEntry[]>;
  /** Documents and chunks per tenant, for the tenants view. */
  tenants(): Promise<readonly TenantCorpusEntry[]>;
  /** Deletes in one transaction; the answer lists the documents that existed. */
  deleteByIds(ids: readonly string[]): Promise<{ readonly documents: ReadonlyArray<{ readonly id: string }> }>;
}

/**
 * Decides whether an ingest path sent over HTTP may be read. Throws (any Error; its message is
 * shown to the caller) when the path lies outside the roots; may return the resolved path to
 * enqueue instead. Same signature as `assertAllowedPath` of @lanes/tasks, so it can be passed as is.
 */
export type PathGuard = (path: string, roots: readonly string[]) => string | undefined | Promise<string | undefined>;

/** `lanes migrate-embeddings --status` as the dashboard reads it (EmbeddingMigrations of @lanes/tasks). */
export interface EmbeddingMigrationSource {
  status(): Promise<unknown>;
}

export interface DashboardOptions {
  /** The producer side of Lanes: enqueue, status, lane queues. The caller owns and closes it. */
  readonly client: LanesClient;
  /** Shown on the overview page; the client already carries the connection itself. */
  readonly config?: Pick<RuntimeConfig, 'redisUrl' | 'prefix'>;
  /** Tasks the API may enqueue. Defaults to the built-in contracts. */
  readonly contracts?: ContractRegistry;
  /** Defaults to searching through the client (a `search` job run by a worker). */
  readonly search?: SearchFunction;
  readonly readinessChecks?: readonly ReadinessCheck[];
  /** The corpus view and `/api/documents`; without it those answer 501. */
  readonly documents?: DocumentsBackend;
  /** Embedding tokens and cost per day for the overview's chart (EmbeddingUsage of @lanes/tasks). */
  readonly usage?: UsageSource;
  /** The embedding migration panel and `GET /api/embedding-migration`; without it that answers 501. */
  readonly embeddingMigration?: EmbeddingMigrationSource;
  /** LANES_DASHBOARD_TOKEN: when set, every route but /healthz and /readyz needs it. */
  readonly token?: string;
  /** Bull Board without retry, promote, clean or remove buttons, and no document deletion. */
  readonly readOnly?: boolean;
  /** Folders under which `ingest` paths sent over HTTP must lie. None: paths are refused. */
  readonly allowedRoots?: readonly string[];
  readonly assertPath?: PathGuard;
  /** Largest accepted JSON body, in bytes or as `1mb`. Default 1 MB. */
  readonly bodyLimit?: number | string;
  /** The process's metrics registry; shared with in-process workers so one scrape shows both. */
  readonly metrics?: LanesMetrics;
  readonly logger?: Logger;
  /** Each readiness check fails after this long, so /readyz answers promptly. Default 2000 ms. */
  readonly readinessTimeoutMs?: number;
  /** API calls that read or write Redis answer 503 after this long (Redis down or hung). Default 5000 ms. */
  readonly storeTimeoutMs?: number;
}

export const DEFAULT_BODY_LIMIT = '1mb';
export const DEFAULT_READINESS_TIMEOUT_MS = 2000;
export const DEFAULT_STORE_TIMEOUT_MS = 5000;

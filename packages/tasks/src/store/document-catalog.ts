import type { Database } from './database.ts';
import type { EmbeddingSpace } from './embedding-spaces.ts';
import { tenantCondition, tenantOfRow } from './tenant-scope.ts';

/** `ready`: a live generation is searchable and nothing newer is staged; `pending`: an ingest is under way or never finished. */
export type StoredDocumentState = 'ready' | 'pending';

/** One row of the corpus as the `documents` JSON shape shows it (CONTRACT.md), before job data is joined in. */
export interface StoredDocument {
  readonly id: string;
  readonly source: string;
  /** The tenant the document belongs to; null for none. */
  readonly tenant: string | null;
  readonly state: StoredDocumentState;
  readonly pages: number;
  readonly chunks: number;
  readonly updatedAt: string;
}

export interface DocumentListFilter {
  /** Only this tenant's documents (null: only those of no tenant); every document when absent. */
  readonly tenant?: string | null;
  /** Exact sources to return (others are left out). */
  readonly sources?: readonly string[];
}

export interface DeletedDocument {
  readonly id: string;
  readonly source: string;
  readonly tenant: string | null;
  /** Chunk rows removed, every generation counted. */
  readonly chunks: number;
}

export interface DeleteOutcome {
  readonly documents: readonly DeletedDocument[];
  /** Vectors removed (all spaces) because no remaining chunk has their text. */
  readonly vectors: number;
}

export interface DocumentCatalogOptions {
  /** Every space with a vector table: deletion collects orphaned vectors in each. */
  readonly spaces: () => Promise<readonly EmbeddingSpace[]>;
  /** Called after a deletion committed (the corpus version is bumped so cached results go stale). */
  readonly onChange?: () => Promise<unknown>;
}

/** Same key as DocumentStore's staging and finalise: collection must not race a staging that counts on a vector. */
function gcLockKey(db: Database): string {
  return `lanes:vector-gc:${db.schema}`;
}

/** Documents and chunks of one tenant (null: of no tenant), for the dashboard's tenants view. */
export interface TenantCorpus {
  readonly tenant: string | null;
  readonly documents: number;
  readonly chunks: number;
}

interface DocumentRow {
  id: string;
  source: string;
  tenant: string;
  status: string;
  pending: boolean;
  pages: number;
  chunk_count: number;
  updated_at: Date;
}

/**
 * The corpus as people look at it: listing and deleting whole documents. Kept apart from
 * DocumentStore, which owns the ingest path (staging, finalising generations).
 */
export class DocumentCatalog {
  readonly #db: Database;
  readonly #options: DocumentCatalogOptions;

  constructor(db: Database, options: DocumentCatalogOptions) {
    this.#db = db;
    this.#options = options;
  }

  /** Every document, newest change first. */
  async list(filter: DocumentListFilter = {}): Promise<StoredDocument[]> {
    const db = this.#db;
    return db.withClient(
      async (client) => {
        const where: string[] = [];
        const params: unknown[] = [];
        if (filter.tenant !== undefined) where.push(tenantCondition('tenant', filter.tenant ?? undefined, params));
        if (filter.sources !== undefined) {
          params.push(filter.sources);
          where.push(`source = ANY($${params.length}::text[])`);
        }
        const { rows } = await client.query<DocumentRow>(
          `SELECT id::text AS id, source, tenant, status, pending_generation IS NOT NULL AS pending,
                  pages, chunk_count, updated_at
             FROM ${db.table('documents')} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
            ORDER BY updated_at DESC, id DESC`,
          params,
        );
        return rows.map((row) => ({
          id: row.id,
          source: row.source,
          tenant: tenantOfRow(row.tenant),
          state: row.status === 'ready' && !row.pending ? 'ready' : 'pending',
          pages: row.pages,
          chunks: row.chunk_count,
          updatedAt: row.updated_at.toISOString(),
        }));
      },
      { vectorTypes: false },
    );
  }

  /** Documents and live chunks per tenant, the tenants with most documents first. */
  async tenants(): Promise<TenantCorpus[]> {
    const db = this.#db;
    return db.withClient(
      async (client) => {
        const { rows } = await client.query<{ tenant: string; documents: number; chunks: number }>(
          `SELECT tenant, count(*)::int AS documents, coalesce(sum(chunk_count), 0)::int AS chunks
             FROM ${db.table('documents')} GROUP BY tenant ORDER BY count(*) DESC, tenant`,
        );
        return rows.map((row) => ({ tenant: tenantOfRow(row.tenant), documents: row.documents, chunks: row.chunks }));
      },
      { vectorTypes: false },
    );
  }

  /**
   * Deletes documents by id in one transaction: their chunks (every generation, so triggers on
   * chunks see the rows go), then each space's vectors that no remaining chunk references,
   * then the document rows. Ids that match nothing are left out of the answer.
   */
  async delete(ids: readonly string[]): Promise<DeleteOutcome> {
    const numeric = ids.filter((id) => /^\d{1,18}$/.test(id));
    if (numeric.length === 0) return { documents: [], vectors: 0 };
    const db = this.#db;
    const spaces = await this.#options.spaces();
    const outcome = await db.transaction(
      async (client): Promise<DeleteOutcome> => {
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [gcLockKey(db)]);
        const { rows: docs } = await client.query<{ id: string; source: string; tenant: string }>(
          `SELECT id::text AS id, source, tenant FROM ${db.table('documents')} WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`,
          [numeric],
        );
        if (docs.length === 0) return { documents: [], vectors: 0 };
        const docIds = docs.map((doc) => doc.id);
        const { rows: removed } = await client.query<{ document_id: string; content_hash: string }>(
          `DELETE FROM ${db.table('chunks')} WHERE document_id = ANY($1::bigint[]) RETURNING document_id::text AS document_id, content_hash`,
          [docIds],
        );
        const stale = [...new Set(removed.map((row) => row.content_hash))];
        let vectors = 0;
        if (stale.length > 0) {
          for (const space of spaces) {
            const result = await client.query(
              `DELETE FROM ${space.table} e WHERE e.content_hash = ANY($1::text[])
                 AND NOT EXISTS (SELECT 1 FROM ${db.table('chunks')} c WHERE c.content_hash = e.content_hash)`,
              [stale],
            );
            vectors += result.rowCount ?? 0;
          }
        }
        await client.query(`DELETE FROM ${db.table('documents')} WHERE id = ANY($1::bigint[])`, [docIds]);
        const chunksOf = (id: string): number => removed.filter((row) => row.document_id === id).length;
        return {
          documents: docs.map((doc) => ({
            id: doc.id,
            source: doc.source,
            tenant: tenantOfRow(doc.tenant),
            chunks: chunksOf(doc.id),
          })),
          vectors,
        };
      },
      { vectorTypes: false },
    );
    if (outcome.documents.length > 0) await this.#options.onChange?.();
    return outcome;
  }
}

import { LanesError } from '@lanes/contracts';
import type { Database, DbClient } from './database.ts';
import { vectorLiteral } from './database.ts';
import type { EmbeddingSpace } from './embedding-spaces.ts';
import { lexicalColumns, termBagColumns, type LexicalColumns } from '../lexical/stored-terms.ts';
import { storedTenant } from './tenant-scope.ts';

export interface StagedChunk {
  readonly index: number;
  readonly text: string;
  readonly hash: string;
  readonly tokens: number;
  /** First and last 1-based page, for paged documents. */
  readonly pages?: { readonly first: number; readonly last: number } | null;
  /** The title of its section, where the document has headings. */
  readonly heading?: string | null;
  /** Its term bag when already made (by the extraction thread); else made here. */
  readonly lexical?: LexicalColumns;
}

export interface StageInput {
  readonly source: string;
  /** The document's tenant (none when absent); with `source`, its identity. */
  readonly tenant?: string;
  readonly metadata: Record<string, unknown>;
  /** Identity of the document's content and of how it was chunked. */
  readonly contentHash: string;
  readonly pages: number;
  readonly chunks: readonly StagedChunk[];
  /** Where vectors are written (the live space, and a migration's shadow space): a text missing in any is embedded. */
  readonly spaces: readonly EmbeddingSpace[];
  /** The ingest job staging it: how the reconciler tells an abandoned staging from a running one. */
  readonly jobId: string;
}

export interface ChunkRef {
  readonly id: string;
  readonly hash: string;
}

export interface StageResult {
  readonly documentId: string;
  readonly generation: number;
  /** One chunk per distinct text that lacks a vector in one of the staged-for spaces. */
  readonly toEmbed: readonly ChunkRef[];
  readonly total: number;
}

export interface UpToDate {
  readonly documentId: string;
  readonly chunks: number;
  readonly pages: number;
}

export type FinaliseState = 'promoted' | 'already-live' | 'superseded';

export interface FinaliseResult {
  readonly state: FinaliseState;
  readonly chunks: number;
  readonly pages: number;
  /** Chunks of the previous live generation whose text is gone from the new one. */
  readonly removed: number;
  /** True when the set of searchable texts changed (callers bump the corpus version). */
  readonly changed: boolean;
}

export interface PendingGeneration {
  readonly documentId: string;
  readonly source: string;
  readonly generation: number;
  /** The ingest job that staged it (null for stagings from before this was recorded). */
  readonly jobId: string | null;
  readonly updatedAt: Date;
}

export interface StoredChunk {
  readonly id: string;
  readonly hash: string;
  readonly text: string;
  readonly tokens: number;
}

export class IncompleteVectorsError extends LanesError {
  constructor(documentId: string, missing: number) {
    super(
      'INCOMPLETE_VECTORS',
      `document ${documentId}: ${missing} chunk(s) still have no vector after their embedding jobs completed`,
      { documentId, missing },
    );
  }
}

/**
 * Staging takes this lock shared and vector garbage collection takes it exclusive, so a
 * vector that staging just counted on cannot be collected before its new chunk row commits.
 */
export function gcLockKey(db: Database): string {
  return `lanes:vector-gc:${db.schema}`;
}

/**
 * Documents and their chunks. A document's chunks come in generations: a new version is
 * staged as a new generation beside the live one (search only sees the live one), its missing
 * vectors are embedded, then `finalise` swaps generations, deletes the stale chunks and
 * collects vectors no chunk references any more, all in one transaction.
 */
export class DocumentStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** The live document when its content is unchanged and every chunk has a primary vector. */
  async findUpToDate(
    tenant: string | undefined,
    source: string,
    contentHash: string,
    primary: EmbeddingSpace,
  ): Promise<UpToDate | undefined> {
    const db = this.#db;
    return db.withClient(async (client) => {
      const { rows } = await client.query<{ id: string; chunk_count: number; pages: number }>(
        `SELECT d.id::text AS id, d.chunk_count, d.pages FROM ${db.table('documents')} d
          WHERE d.tenant = $3 AND d.source = $1 AND d.status = 'ready' AND d.content_hash = $2 AND d.pending_generation IS NULL
            AND NOT EXISTS (
              SELECT 1 FROM ${db.table('chunks')} c
               WHERE c.document_id = d.id AND c.generation = d.generation
                 AND NOT EXISTS (SELECT 1 FROM ${primary.table} e WHERE e.content_hash = c.content_hash))`,
        [source, contentHash, storedTenant(tenant)],
      );
      const row = rows[0];
      return row === undefined ? undefined : { documentId: row.id, chunks: row.chunk_count, pages: row.pages };
    });
  }

  async stage(input: StageInput): Promise<StageResult> {
    const db = this.#db;
    return db.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock_shared(hashtext($1))', [gcLockKey(db)]);
      const tenant = storedTenant(input.tenant);
      await client.query(
        `INSERT INTO ${db.table('documents')} (tenant, source, metadata) VALUES ($1, $2, $3) ON CONFLICT (tenant, source) DO NOTHING`,
        [tenant, input.source, JSON.stringify(input.metadata)],
      );
      const { rows } = await client.query<{
        id: string;
        generation: number;
        pending_generation: number | null;
        pending_hash: string | null;
      }>(
        `SELECT id::text AS id, generation, pending_generation, pending_hash FROM ${db.table('documents')} WHERE tenant = $1 AND source = $2 FOR UPDATE`,
        [tenant, input.source],
      );
      const doc = rows[0]!;
      let generation: number;
      if (doc.pending_generation !== null && doc.pending_hash === input.contentHash) {
        // A retry, or a concurrent job with the same content: continue that staging.
        generation = doc.pending_generation;
      } else {
        // Newer content than what is staged (if anything): the older staging is abandoned.
        if (doc.pending_generation !== null) {
          await client.query(`DELETE FROM ${db.table('chunks')} WHERE document_id = $1 AND generation = $2`, [
            doc.id,
            doc.pending_generation,
          ]);
        }
        generation = Math.max(doc.generation, doc.pending_generation ?? 0) + 1;
      }
      await client.query(
        `UPDATE ${db.table('documents')}
            SET pending_generation = $2, pending_hash = $3, pending_pages = $4, pending_metadata = $5, pending_job = $6, updated_at = now()
          WHERE id = $1`,
        [doc.id, generation, input.contentHash, input.pages, JSON.stringify(input.metadata), input.jobId],
      );
      await insertChunks(db, client, doc.id, generation, input.chunks);
      const missing = await client.query<{ id: string; content_hash: string }>(
        `SELECT c.id::text AS id, c.content_hash FROM ${db.table('chunks')} c
          WHERE c.document_id = $1 AND c.generation = $2
            AND NOT (${input.spaces.map((space) => `EXISTS (SELECT 1 FROM ${space.table} e WHERE e.content_hash = c.content_hash)`).join(' AND ')})
          ORDER BY c.chunk_index`,
        [doc.id, generation],
      );
      const seen = new Set<string>();
      const toEmbed: ChunkRef[] = [];
      for (const row of missing.rows) {
        if (seen.has(row.content_hash)) continue;
        seen.add(row.content_hash);
        toEmbed.push({ id: row.id, hash: row.content_hash });
      }
      return { documentId: doc.id, generation, toEmbed, total: input.chunks.length };
    });
  }

  /**
   * Makes `generation` live if it is still the staged one: deletes every other generation's
   * chunks and the vectors (in every space) that no chunk references any more.
   */
  async finalise(
    documentId: string,
    generation: number,
    primary: EmbeddingSpace,
    spaces: readonly EmbeddingSpace[],
  ): Promise<FinaliseResult> {
    const db = this.#db;
    return db.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [gcLockKey(db)]);
      const { rows } = await client.query<{
        generation: number;
        pending_generation: number | null;
        chunk_count: number;
        pages: number;
      }>(
        `SELECT generation, pending_generation, chunk_count, pages FROM ${db.table('documents')} WHERE id = $1 FOR UPDATE`,
        [documentId],
      );
      const doc = rows[0];
      if (doc === undefined) return { state: 'superseded', chunks: 0, pages: 0, removed: 0, changed: false };
      if (doc.pending_generation !== generation) {
        const state: FinaliseState = doc.generation === generation ? 'already-live' : 'superseded';
        return { state, chunks: doc.chunk_count, pages: doc.pages, removed: 0, changed: false };
      }
      const others = spaces.filter((space) => space.id !== primary.id);
      const covered = [primary, ...others]
        .map((space) => `EXISTS (SELECT 1 FROM ${space.table} e WHERE e.content_hash = c.content_hash)`)
        .join(' OR ');
      const missing = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${db.table('chunks')} c WHERE c.document_id = $1 AND c.generation = $2 AND NOT (${covered})`,
        [documentId, generation],
      );
      if (missing.rows[0]!.n > 0) throw new IncompleteVectorsError(documentId, missing.rows[0]!.n);
      const removed = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${db.table('chunks')} o
          WHERE o.document_id = $1 AND o.generation = $3
            AND NOT EXISTS (SELECT 1 FROM ${db.table('chunks')} c WHERE c.document_id = $1 AND c.generation = $2 AND c.content_hash = o.content_hash)`,
        [documentId, generation, doc.generation],
      );
      const deleted = await client.query<{ content_hash: string }>(
        `DELETE FROM ${db.table('chunks')} WHERE document_id = $1 AND generation <> $2 RETURNING content_hash`,
        [documentId, generation],
      );
      // The old generation's statistics went with its rows (delete trigger); the new one's are
      // added once it is live, set-based, in this transaction (migration 7).
      await client.query(
        `UPDATE ${db.table('chunks')} SET live = true WHERE document_id = $1 AND generation = $2 AND NOT live`,
        [documentId, generation],
      );
      await client.query(
        `SELECT ${db.table('lexical_stats_add')}(ARRAY(SELECT id FROM ${db.table('chunks')} WHERE document_id = $1 AND generation = $2))`,
        [documentId, generation],
      );
      const counted = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${db.table('chunks')} WHERE document_id = $1 AND generation = $2`,
        [documentId, generation],
      );
      const { rows: updated } = await client.query<{ pages: number }>(
        `UPDATE ${db.table('documents')}
            SET generation = $2, content_hash = pending_hash, pages = coalesce(pending_pages, 0), chunk_count = $3, status = 'ready',
                metadata = coalesce(pending_metadata, metadata), ${CLEARED_PENDING}, updated_at = now()
          WHERE id = $1 RETURNING pages`,
        [documentId, generation, counted.rows[0]!.n],
      );
      await collectVectors(db, client, deleted.rows, spaces);
      const removedCount = removed.rows[0]!.n;
      // Promotion happens only for new content or re-embedded vectors: either way cached results are stale.
      return {
        state: 'promoted',
        chunks: counted.rows[0]!.n,
        pages: updated[0]!.pages,
        removed: removedCount,
        changed: true,
      };
    });
  }

  /** Every staged generation, with the job that staged it, for the reconciler. */
  async pendingGenerations(): Promise<PendingGeneration[]> {
    const db = this.#db;
    return db.withClient(async (client) => {
      const { rows } = await client.query<{
        id: string;
        source: string;
        pending_generation: number;
        pending_job: string | null;
        updated_at: Date;
      }>(
        `SELECT id::text AS id, source, pending_generation, pending_job, updated_at FROM ${db.table('documents')}
          WHERE pending_generation IS NOT NULL ORDER BY id`,
      );
      return rows.map((row) => ({
        documentId: row.id,
        source: row.source,
        generation: row.pending_generation,
        jobId: row.pending_job,
        updatedAt: row.updated_at,
      }));
    });
  }

  /**
   * Abandons a staged generation if it is still the staged one, staged by `jobId`: its chunks
   * and the vectors only they referenced go, and the document is as it was before the staging
   * (or gone, if it never was live).
   */
  async rollback(
    pending: PendingGeneration,
    spaces: readonly EmbeddingSpace[],
  ): Promise<'rolled-back' | 'removed' | 'changed'> {
    const db = this.#db;
    return db.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [gcLockKey(db)]);
      const { rows } = await client.query<{
        status: string;
        pending_generation: number | null;
        pending_job: string | null;
      }>(`SELECT status, pending_generation, pending_job FROM ${db.table('documents')} WHERE id = $1 FOR UPDATE`, [
        pending.documentId,
      ]);
      const doc = rows[0];
      if (doc === undefined || doc.pending_generation !== pending.generation || doc.pending_job !== pending.jobId)
        return 'changed';
      const deleted = await client.query<{ content_hash: string }>(
        `DELETE FROM ${db.table('chunks')} WHERE document_id = $1 AND generation = $2 RETURNING content_hash`,
        [pending.documentId, pending.generation],
      );
      const neverLive = doc.status !== 'ready';
      if (neverLive) await client.query(`DELETE FROM ${db.table('documents')} WHERE id = $1`, [pending.documentId]);
      else
        await client.query(`UPDATE ${db.table('documents')} SET ${CLEARED_PENDING}, updated_at = now() WHERE id = $1`, [
          pending.documentId,
        ]);
      await collectVectors(db, client, deleted.rows, spaces);
      return neverLive ? 'removed' : 'rolled-back';
    });
  }

  async loadChunks(documentId: string, chunkIds: readonly string[]): Promise<StoredChunk[]> {
    const db = this.#db;
    return db.withClient(async (client) => {
      const { rows } = await client.query<{ id: string; content_hash: string; text: string; token_count: number }>(
        `SELECT id::text AS id, content_hash, text, token_count FROM ${db.table('chunks')}
          WHERE document_id = $1 AND id = ANY($2::bigint[]) ORDER BY chunk_index`,
        [documentId, chunkIds],
      );
      return rows.map((row) => ({ id: row.id, hash: row.content_hash, text: row.text, tokens: row.token_count }));
    });
  }

  /** Of the given texts, those that already have a vector in the space. */
  async existingVectors(space: EmbeddingSpace, hashes: readonly string[]): Promise<Set<string>> {
    if (hashes.length === 0) return new Set();
    return this.#db.withClient(async (client) => {
      const { rows } = await client.query<{ content_hash: string }>(
        `SELECT content_hash FROM ${space.table} WHERE content_hash = ANY($1::text[])`,
        [hashes],
      );
      return new Set(rows.map((row) => row.content_hash));
    });
  }

  /**
   * Bulk, idempotent: multi-row inserts through unnest, existing vectors left alone. Vectors
   * written to the primary space retire their copies in `supersedes` (the fallback space).
   */
  async writeVectors(
    space: EmbeddingSpace,
    entries: ReadonlyArray<readonly [string, Float32Array]>,
    supersedes: readonly EmbeddingSpace[] = [],
  ): Promise<number> {
    if (entries.length === 0) return 0;
    let written = 0;
    await this.#db.transaction(async (client) => {
      for (let start = 0; start < entries.length; start += 500) {
        const slice = entries.slice(start, start + 500);
        const result = await client.query(
          `INSERT INTO ${space.table} (content_hash, embedding)
           SELECT * FROM unnest($1::text[], $2::vector[]) ON CONFLICT (content_hash) DO NOTHING`,
          [slice.map(([hash]) => hash), slice.map(([, vector]) => vectorLiteral(vector))],
        );
        written += result.rowCount ?? 0;
      }
      for (const old of supersedes) {
        await client.query(`DELETE FROM ${old.table} WHERE content_hash = ANY($1::text[])`, [
          entries.map(([hash]) => hash),
        ]);
      }
    });
    return written;
  }
}

/** A document with nothing staged. */
const CLEARED_PENDING =
  'pending_generation = NULL, pending_hash = NULL, pending_pages = NULL, pending_metadata = NULL, pending_job = NULL';

/** Deletes, in every space, the vectors of these deleted chunks' texts that no chunk references any more. Under the GC lock. */
async function collectVectors(
  db: Database,
  client: DbClient,
  deleted: ReadonlyArray<{ content_hash: string }>,
  spaces: readonly EmbeddingSpace[],
): Promise<void> {
  const stale = [...new Set(deleted.map((row) => row.content_hash))];
  if (stale.length === 0) return;
  for (const space of spaces) {
    await client.query(
      `DELETE FROM ${space.table} e WHERE e.content_hash = ANY($1::text[])
         AND NOT EXISTS (SELECT 1 FROM ${db.table('chunks')} c WHERE c.content_hash = e.content_hash)`,
      [stale],
    );
  }
}

async function insertChunks(
  db: Database,
  client: DbClient,
  documentId: string,
  generation: number,
  chunks: readonly StagedChunk[],
): Promise<void> {
  for (let start = 0; start < chunks.length; start += 1000) {
    const slice = chunks.slice(start, start + 1000);
    await client.query(
      `INSERT INTO ${db.table('chunks')} (document_id, tenant, generation, chunk_index, text, content_hash, token_count, page_start, page_end, heading, lexemes, term_freqs, lexical_length)
       SELECT $1, (SELECT tenant FROM ${db.table('documents')} WHERE id = $1), $2, u.chunk_index, u.text, u.content_hash, u.token_count, u.page_start, u.page_end, u.heading, u.lexemes::text[], u.term_freqs::int[], u.lexical_length
         FROM unnest($3::int[], $4::text[], $5::text[], $6::int[], $7::int[], $8::int[], $9::text[], $10::text[], $11::text[], $12::int[])
              AS u(chunk_index, text, content_hash, token_count, page_start, page_end, heading, lexemes, term_freqs, lexical_length)
       ON CONFLICT (document_id, generation, chunk_index) DO NOTHING`,
      [
        documentId,
        generation,
        slice.map((c) => c.index),
        slice.map((c) => c.text),
        slice.map((c) => c.hash),
        slice.map((c) => c.tokens),
        slice.map((c) => c.pages?.first ?? null),
        slice.map((c) => c.pages?.last ?? null),
        slice.map((c) => c.heading ?? null),
        ...termBagColumns(slice.map((c) => c.lexical ?? lexicalColumns(c.text))),
      ],
    );
  }
}

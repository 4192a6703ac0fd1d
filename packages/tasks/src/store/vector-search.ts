import type { SearchHit } from '@lanes/contracts';
import { vectorLiteral, type Database } from './database.ts';
import { vectorExpression, type EmbeddingSpace } from './embedding-spaces.ts';

export interface VectorSearchOptions {
  readonly k: number;
  /** HNSW candidate list size: higher is better recall and slower. */
  readonly efSearch: number;
  /** Exact scan instead of the index (for measuring recall). */
  readonly exact?: boolean;
  /** pgvector >= 0.8: keep scanning the graph when candidates are filtered out. */
  readonly iterativeScan?: boolean;
}

/**
 * Top-k chunks of live documents by cosine distance within one embedding space. The nearest
 * texts come from the HNSW index (over-fetched, since a text may belong to a document's
 * staged but not yet live generation), then are joined to the live chunks that carry them.
 */
export async function searchSpace(db: Database, space: EmbeddingSpace, query: Float32Array, options: VectorSearchOptions): Promise<SearchHit[]> {
  const expr = vectorExpression(space);
  const fetch = Math.min(1000, options.k * 2 + 20);
  const efSearch = Math.min(1000, Math.max(options.efSearch, fetch));
  // One round trip for the transaction's settings (values are validated integers):
  // - hnsw.ef_search: the candidate list size, our recall/latency trade-off;
  // - ivfflat.probes: until rebuild-index has migrated an IVFFlat index to HNSW, the planner
  //   may pick it, and its default of probing 1 list misses most neighbours;
  // - hnsw.iterative_scan (pgvector >= 0.8): candidates that turn out dead (deleted, not yet
  //   vacuumed) or without a live chunk would otherwise shrink the result below k.
  const settings = [
    `SET LOCAL hnsw.ef_search = ${Math.trunc(efSearch)}`,
    'SET LOCAL ivfflat.probes = 10',
    ...(options.iterativeScan === true ? ["SET LOCAL hnsw.iterative_scan = 'relaxed_order'"] : []),
    ...(options.exact === true ? ['SET LOCAL enable_indexscan = off'] : []),
  ];
  return db.withClient(async (client) => {
    await client.query(`BEGIN; ${settings.join('; ')}`);
    try {
      const { rows } = await client.query<{ document_id: string; source: string; chunk_index: number; text: string; distance: number }>(
        `WITH nearest AS (
           SELECT content_hash, ${expr.column} <=> $1::${expr.cast} AS distance
             FROM ${space.table}
            ORDER BY ${expr.column} <=> $1::${expr.cast}
            LIMIT $2)
         SELECT live.document_id, live.source, live.chunk_index, live.text, n.distance
           FROM nearest n
           -- Per nearest text, its live chunks by index lookup. OFFSET 0 keeps the planner from
           -- flattening this into a join that (with stale statistics after a bulk load) scans
           -- every chunk instead.
           CROSS JOIN LATERAL (
             SELECT d.id::text AS document_id, d.id AS doc, d.source, c.chunk_index, c.text
               FROM ${db.table('chunks')} c
               JOIN ${db.table('documents')} d ON d.id = c.document_id AND d.generation = c.generation
              WHERE c.content_hash = n.content_hash
             OFFSET 0) live
          ORDER BY n.distance, live.doc, live.chunk_index
          LIMIT $3`,
        [vectorLiteral(query), fetch, options.k],
      );
      await client.query('COMMIT');
      return rows.map((row) => ({
        documentId: row.document_id,
        source: row.source,
        chunkIndex: row.chunk_index,
        // Cosine similarity, 1 = same direction.
        score: Math.round((1 - Number(row.distance)) * 1e6) / 1e6,
        text: row.text,
      }));
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
}

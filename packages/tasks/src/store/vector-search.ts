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
  return db.transaction(async (client) => {
    await client.query("SELECT set_config('hnsw.ef_search', $1, true)", [String(efSearch)]);
    // Until rebuild-index has migrated an IVFFlat index to HNSW, the planner may pick it; its
    // default of probing 1 list misses most neighbours.
    await client.query("SELECT set_config('ivfflat.probes', '10', true)");
    // Candidates that turn out dead (deleted, not yet vacuumed) or without a live chunk would
    // otherwise shrink the result below k; 0.8's iterative scan keeps walking the graph instead.
    if (options.iterativeScan === true) await client.query("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)");
    if (options.exact === true) await client.query("SELECT set_config('enable_indexscan', 'off', true)");
    const { rows } = await client.query<{ document_id: string; source: string; chunk_index: number; text: string; distance: number }>(
      `WITH nearest AS (
         SELECT content_hash, ${expr.column} <=> $1::${expr.cast} AS distance
           FROM ${space.table}
          ORDER BY ${expr.column} <=> $1::${expr.cast}
          LIMIT $2)
       SELECT d.id::text AS document_id, d.source, c.chunk_index, c.text, n.distance
         FROM nearest n
         JOIN ${db.table('chunks')} c ON c.content_hash = n.content_hash
         JOIN ${db.table('documents')} d ON d.id = c.document_id AND d.generation = c.generation
        ORDER BY n.distance, d.id, c.chunk_index
        LIMIT $3`,
      [vectorLiteral(query), fetch, options.k],
    );
    return rows.map((row) => ({
      documentId: row.document_id,
      source: row.source,
      chunkIndex: row.chunk_index,
      // Cosine similarity, 1 = same direction.
      score: Math.round((1 - Number(row.distance)) * 1e6) / 1e6,
      text: row.text,
    }));
  });
}

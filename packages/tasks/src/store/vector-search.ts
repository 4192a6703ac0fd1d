import type { SearchFilter } from '@lanes/contracts';
import { vectorLiteral, type Database } from './database.ts';
import { vectorExpression, type EmbeddingSpace, type VectorStorage } from './embedding-spaces.ts';
import { filterClause } from './search-filter.ts';
import { tenantCondition } from './tenant-scope.ts';

/** One chunk of one ranked list (vector or lexical), `score` in that list's own units. */
export interface RankedChunk {
  readonly documentId: string;
  readonly source: string;
  readonly chunkIndex: number;
  /** sha256 of the text: the key of its vectors. */
  readonly hash: string;
  readonly page: number | null;
  /** The title of its section, where the document has headings. */
  readonly heading: string | null;
  readonly score: number;
  readonly text: string;
}

/** The columns of a live chunk both searches select. */
export interface ChunkRow {
  readonly document_id: string;
  readonly source: string;
  readonly chunk_index: number;
  readonly content_hash: string;
  readonly page_start: number | null;
  readonly heading: string | null;
  readonly text: string;
}

/** A result row of either search, with the score its list gives it. */
export function rankedChunk(row: ChunkRow, score: number): RankedChunk {
  return {
    documentId: row.document_id,
    source: row.source,
    chunkIndex: row.chunk_index,
    hash: row.content_hash,
    page: row.page_start,
    heading: row.heading,
    score,
    text: row.text,
  };
}

export interface VectorSearchOptions {
  readonly k: number;
  /** HNSW candidate list size: higher is better recall and slower. */
  readonly efSearch: number;
  /** The index's precision (the query is cast to match it, or the index is not used). */
  readonly storage: VectorStorage;
  /** Exact scan instead of the index (for measuring recall). */
  readonly exact?: boolean;
  /** pgvector >= 0.8: keep scanning the graph when candidates are filtered out. */
  readonly iterativeScan?: boolean;
  readonly filter?: SearchFilter | undefined;
  /** Only chunks of this tenant's documents; of documents of no tenant when absent. */
  readonly tenant?: string | undefined;
  /** Rank only these texts (content hashes), by exact distance, instead of searching the index. */
  readonly within?: readonly string[];
}

/**
 * Top-k chunks of live documents by cosine distance within one embedding space. The nearest
 * texts come from the HNSW index (over-fetched, since a text may belong to a document's
 * staged but not yet live generation), then are joined to the live chunks that carry them.
 * The index scan itself only yields texts of some live chunk of the tenant (and, with a filter,
 * of a matching document), so (with iterative scans, pgvector >= 0.8) other tenants' texts and
 * a selective filter never leave the result short of k.
 */
export async function searchSpace(
  db: Database,
  space: EmbeddingSpace,
  query: Float32Array,
  options: VectorSearchOptions,
): Promise<RankedChunk[]> {
  const expr = vectorExpression(space, options.storage);
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
  const params: unknown[] = [vectorLiteral(query), fetch, options.k];
  const tenant = tenantCondition('c.tenant', options.tenant, params);
  const filter = filterClause(options.filter, params);
  const owned = `WHERE EXISTS (SELECT 1 FROM ${db.table('chunks')} c ${filter === '' ? '' : `JOIN ${db.table('documents')} d ON d.id = c.document_id`}
                                WHERE c.content_hash = e.content_hash AND c.live AND ${tenant} ${filter})`;
  // The given texts' rows only, in a subquery the planner keeps (OFFSET 0), so the ORDER BY
  // below sorts them exactly instead of asking the index for the nearest of all texts.
  let source = `${space.table} e`;
  if (options.within !== undefined) {
    params.push(options.within);
    source = `(SELECT content_hash, embedding FROM ${space.table} WHERE content_hash = ANY($${params.length}::text[]) OFFSET 0) e`;
  }
  return db.transaction(
    async (client) => {
      const { rows } = await client.query<ChunkRow & { distance: number }>(
        `WITH nearest AS (
         SELECT e.content_hash, ${expr.column} <=> $1::${expr.cast} AS distance
           FROM ${source}
           ${owned}
          ORDER BY ${expr.column} <=> $1::${expr.cast}
          LIMIT $2)
       SELECT live.document_id, live.source, live.chunk_index, n.content_hash, live.page_start, live.heading, live.text, n.distance
         FROM nearest n
         -- Per nearest text, its live chunks by index lookup. OFFSET 0 keeps the planner from
         -- flattening this into a join that (with stale statistics after a bulk load) scans
         -- every chunk instead.
         CROSS JOIN LATERAL (
           SELECT d.id::text AS document_id, d.id AS doc, d.source, c.chunk_index, c.page_start, c.heading, c.text
             FROM ${db.table('chunks')} c
             JOIN ${db.table('documents')} d ON d.id = c.document_id AND d.generation = c.generation
            WHERE c.content_hash = n.content_hash AND ${tenant} ${filter}
           OFFSET 0) live
        ORDER BY n.distance, live.doc, live.chunk_index
        LIMIT $3`,
        params,
      );
      // Cosine similarity, 1 = same direction.
      return rows.map((row) => rankedChunk(row, Math.round((1 - Number(row.distance)) * 1e6) / 1e6));
    },
    { settings },
  );
}

import type { SearchFilter } from '@lanes/contracts';
import { BM25_DEFAULTS, bm25Idf, type Bm25Parameters } from '../lexical/bm25.ts';
import { termBag } from '../lexical/tokenise.ts';
import type { Database } from './database.ts';
import { filterClause } from './search-filter.ts';
import type { RankedChunk } from './vector-search.ts';

/** A PostgreSQL array literal for text elements (every element quoted, so any text is safe). */
export function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
}

/**
 * Per chunk text, its term bag as three parallel columns for an `unnest` insert or update:
 * unnest flattens arrays of arrays, so each chunk's arrays travel as array literals.
 */
export function termBagColumns(texts: readonly string[]): [string[], string[], number[]] {
  const bags = texts.map((text) => termBag(text));
  return [bags.map((bag) => arrayLiteral(bag.terms)), bags.map((bag) => `{${bag.frequencies.join(',')}}`), bags.map((bag) => bag.length)];
}

export interface LexicalSearchOptions {
  readonly k: number;
  readonly filter?: SearchFilter | undefined;
  readonly bm25?: Bm25Parameters;
}

/**
 * BM25 over live chunks, computed in SQL from each chunk's term frequencies and length and
 * the corpus statistics the triggers of migration 2 keep (see bm25.ts for the formula).
 * Two statements: the query terms' document frequencies and the corpus size first (IDF is
 * computed here), then the scoring of candidates, the live chunks holding any query term (GIN
 * index on `lexemes`). Terms travel as array parameters, so no query text ever becomes SQL
 * or tsquery syntax. JIT is off: the planner's row estimates for these array expressions
 * are far too high, and compiling took over a second for a query that runs in milliseconds.
 */
export async function searchLexical(db: Database, terms: readonly string[], options: LexicalSearchOptions): Promise<RankedChunk[]> {
  if (terms.length === 0) return [];
  const bm25 = options.bm25 ?? BM25_DEFAULTS;
  return db.withClient(async (client) => {
    await client.query('BEGIN; SET LOCAL jit = off');
    try {
      const { rows: stats } = await client.query<{ n: string; total: string; terms: string[] | null; dfs: number[] | null }>(
        `SELECT c.chunk_count AS n, c.total_length AS total, t.terms, t.dfs
           FROM ${db.table('lexical_corpus')} c,
                LATERAL (SELECT array_agg(term) AS terms, array_agg(df) AS dfs FROM ${db.table('lexical_terms')} WHERE term = ANY($1::text[])) t`,
        [terms],
      );
      const corpus = stats[0]!;
      const chunkCount = Number(corpus.n);
      if (corpus.terms === null || chunkCount === 0) {
        await client.query('COMMIT');
        return [];
      }
      const idfs = corpus.dfs!.map((df) => bm25Idf(chunkCount, df));
      const meanLength = Math.max(1, Number(corpus.total)) / chunkCount;
      const params: unknown[] = [corpus.terms, idfs, bm25.k1, bm25.b, meanLength, options.k];
      const filter = filterClause(options.filter, params);
      const { rows } = await client.query<{ document_id: string; source: string; chunk_index: number; text: string; page_start: number | null; score: number }>(
        `SELECT s.document_id::text AS document_id, d.source, s.chunk_index, s.text, s.page_start, s.score
           FROM (SELECT c.id, c.document_id, c.chunk_index, c.text, c.page_start,
                        (SELECT sum(w.idf * f.tf * ($3::float8 + 1) / (f.tf + $3::float8 * (1 - $4::float8 + $4::float8 * c.lexical_length / $5::float8)))
                           FROM unnest($1::text[], $2::float8[]) AS w(term, idf)
                          CROSS JOIN LATERAL (SELECT c.term_freqs[array_position(c.lexemes, w.term)] AS tf) f
                          WHERE f.tf IS NOT NULL) AS score
                   FROM ${db.table('chunks')} c
                  WHERE c.live AND c.lexemes && $1::text[]) s
           JOIN ${db.table('documents')} d ON d.id = s.document_id
          WHERE s.score > 0 ${filter}
          ORDER BY s.score DESC, s.id
          LIMIT $6`,
        params,
      );
      await client.query('COMMIT');
      return rows.map((row) => ({
        documentId: row.document_id,
        source: row.source,
        chunkIndex: row.chunk_index,
        page: row.page_start,
        score: Number(row.score),
        text: row.text,
      }));
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
}

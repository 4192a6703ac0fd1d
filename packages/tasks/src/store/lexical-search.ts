import type { SearchFilter } from '@lanes/contracts';
import { BM25_DEFAULTS, type Bm25Parameters } from '../lexical/bm25.ts';
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

export interface CorpusStatistics {
  readonly chunkCount: number;
  readonly totalLength: number;
}

/**
 * BM25 over live chunks, computed in SQL from each chunk's term frequencies and length and
 * the corpus statistics the triggers of migration 2 keep (see bm25.ts for the formula).
 * Candidates are the live chunks holding any query term (GIN index on `lexemes`); the query
 * terms travel as one array parameter, so no query text ever becomes SQL or tsquery syntax.
 */
export async function searchLexical(db: Database, terms: readonly string[], options: LexicalSearchOptions): Promise<RankedChunk[]> {
  if (terms.length === 0) return [];
  const { k1, b } = options.bm25 ?? BM25_DEFAULTS;
  const params: unknown[] = [terms, k1, b, options.k];
  const filter = filterClause(options.filter, params);
  return db.withClient(async (client) => {
    const { rows } = await client.query<{ document_id: string; source: string; chunk_index: number; text: string; page_start: number | null; score: number }>(
      `WITH corpus AS (
         SELECT chunk_count::float8 AS n, greatest(total_length, 1)::float8 / greatest(chunk_count, 1) AS mean_length
           FROM ${db.table('lexical_corpus')}),
       q AS (
         SELECT t.term, ln(1 + (corpus.n - t.df + 0.5) / (t.df + 0.5)) AS idf
           FROM ${db.table('lexical_terms')} t, corpus WHERE t.term = ANY($1::text[])),
       scored AS (
         SELECT c.id, c.document_id, c.chunk_index, c.text, c.page_start,
                (SELECT sum(q.idf * f.tf * ($2::float8 + 1) / (f.tf + $2::float8 * (1 - $3::float8 + $3::float8 * c.lexical_length / corpus.mean_length)))
                   FROM q CROSS JOIN LATERAL (SELECT c.term_freqs[array_position(c.lexemes, q.term)] AS tf) f
                  WHERE f.tf IS NOT NULL) AS score
           FROM ${db.table('chunks')} c, corpus
          WHERE c.live AND c.lexemes && $1::text[])
       SELECT s.document_id::text AS document_id, d.source, s.chunk_index, s.text, s.page_start, s.score
         FROM scored s JOIN ${db.table('documents')} d ON d.id = s.document_id
        WHERE s.score > 0 ${filter}
        ORDER BY s.score DESC, s.id
        LIMIT $4`,
      params,
    );
    return rows.map((row) => ({
      documentId: row.document_id,
      source: row.source,
      chunkIndex: row.chunk_index,
      page: row.page_start,
      score: Number(row.score),
      text: row.text,
    }));
  });
}

export async function corpusStatistics(db: Database): Promise<CorpusStatistics> {
  return db.withClient(async (client) => {
    const { rows } = await client.query<{ chunk_count: string; total_length: string }>(`SELECT chunk_count, total_length FROM ${db.table('lexical_corpus')}`);
    return { chunkCount: Number(rows[0]!.chunk_count), totalLength: Number(rows[0]!.total_length) };
  });
}

import type { SearchFilter } from '@lanes/contracts';
import { BM25_DEFAULTS, bm25Idf, type Bm25Parameters } from '../lexical/bm25.ts';
import type { Database } from './database.ts';
import { filterClause } from './search-filter.ts';
import { tenantCondition } from './tenant-scope.ts';
import { rankedChunk, type ChunkRow, type RankedChunk } from './vector-search.ts';

interface LexicalRow extends ChunkRow {
  readonly score: number;
}

export interface LexicalSearchOptions {
  readonly k: number;
  readonly filter?: SearchFilter | undefined;
  /** Only chunks of this tenant's documents; of documents of no tenant when absent. */
  readonly tenant?: string | undefined;
  readonly bm25?: Bm25Parameters;
}

/**
 * How many candidate chunks a lexical search scores, roughly: scoring costs 20-50 µs a chunk
 * on these 2 cores, and 1000 kept the eval figures of 5000 while cutting p50 at 98k chunks
 * from 160 ms to 29 ms. Scores are exact BM25 over every query term; only the candidate set is narrowed:
 * - `any`: chunks holding one of the rarest terms, taken while their document frequencies add
 *   up to CANDIDATE_POSTINGS (the rarest is always taken). A chunk holding only very common
 *   terms ("how", "do", "an") scores below any chunk with a rare one.
 * - `all`: when even the rarest term is in more chunks than that (every query term common),
 *   chunks holding all of the rarest few, as many as needed for an expected intersection
 *   (independence assumed) within the budget; fewer terms on a retry when that leaves fewer
 *   than k results. Scoring every chunk for such a query took seconds at 100k chunks.
 * Corpora where all query terms together have fewer postings are ranked exactly (`any` of all).
 */
export const CANDIDATE_POSTINGS = 1000;

export interface CandidateRule {
  readonly match: 'any' | 'all';
  readonly terms: readonly string[];
}

/** Candidate rules to try in order, the first narrow, the last the plain rarest-term one. */
export function candidateRules(terms: readonly string[], dfs: readonly number[], chunkCount: number): CandidateRule[] {
  const order = terms.map((term, i) => ({ term, df: dfs[i]! })).sort((a, b) => a.df - b.df);
  const rarest = order[0]!;
  if (rarest.df > CANDIDATE_POSTINGS) {
    let expected = chunkCount;
    const all: string[] = [];
    for (const { term, df } of order) {
      all.push(term);
      expected *= df / chunkCount;
      if (expected <= CANDIDATE_POSTINGS) break;
    }
    const rules: CandidateRule[] = [];
    for (let n = all.length; n >= 2; n--) rules.push({ match: 'all', terms: all.slice(0, n) });
    return [...rules, { match: 'any', terms: [rarest.term] }];
  }
  const any: string[] = [];
  let postings = 0;
  for (const { term, df } of order) {
    if (any.length > 0 && postings + df > CANDIDATE_POSTINGS) break;
    any.push(term);
    postings += df;
  }
  return [{ match: 'any', terms: any }];
}

/**
 * A chunk's BM25 score as one expression over the query terms ($1 terms, $2 their IDFs, $3
 * k1) and the chunk's `c.norm`, K = k1 * (1 - b + b * length / mean length), with
 * tf * (k1 + 1) / (tf + K) written as (k1 + 1) * (1 - K / (tf + K)) so each term's frequency
 * is looked up once; a term the chunk lacks gives NULL, counted 0.
 * Spelled out per term rather than a subquery over unnest: that cost a function scan per
 * candidate row, several times slower.
 */
function scoreExpression(termCount: number): string {
  const parts = Array.from({ length: termCount }, (_, i) => {
    const tf = `c.term_freqs[array_position(c.lexemes, ($1::text[])[${i + 1}])]`;
    return `coalesce(($3::float8 + 1) * ($2::float8[])[${i + 1}] * (1 - c.norm / (${tf} + c.norm)), 0)`;
  });
  return `(${parts.join(' + ')})`;
}

/**
 * BM25 over live chunks, computed in SQL from each chunk's term frequencies and length and
 * the corpus statistics of migration 3 (kept as migration 7 says) (see bm25.ts for the formula).
 * Statistics are global, over every tenant's live chunks: scores of one tenant's chunks shift a
 * little with others' corpora, but the candidate chunks are the tenant's only.
 * The query terms' document frequencies and the corpus size first (IDF is computed here),
 * then the scoring of candidate live chunks (GIN index on `lexemes`; see CANDIDATE_POSTINGS).
 * Terms travel as array parameters, so no query text ever becomes SQL or tsquery syntax. JIT
 * is off: the planner's row estimates for these array expressions are far too high, and
 * compiling took over a second for a query that runs in milliseconds. Each OFFSET 0 keeps
 * the planner from flattening a subquery: flattened, it computed every score twice (for
 * `score > 0` and for the sort) and K twice per term, most of a query's time. Documents are
 * joined (for their source) to the top k only; a filter on them is a semi-join before the limit.
 */
export async function searchLexical(
  db: Database,
  terms: readonly string[],
  options: LexicalSearchOptions,
): Promise<RankedChunk[]> {
  if (terms.length === 0) return [];
  const bm25 = options.bm25 ?? BM25_DEFAULTS;
  return db.transaction(
    async (client) => {
      const { rows: stats } = await client.query<{
        n: string;
        total: string;
        terms: string[] | null;
        dfs: number[] | null;
      }>(
        `SELECT c.chunk_count AS n, c.total_length AS total, t.terms, t.dfs
         FROM ${db.table('lexical_corpus')} c,
              LATERAL (SELECT array_agg(term) AS terms, array_agg(df) AS dfs FROM ${db.table('lexical_terms')} WHERE term = ANY($1::text[])) t`,
        [terms],
      );
      const corpus = stats[0]!;
      const chunkCount = Number(corpus.n);
      if (corpus.terms === null || chunkCount === 0) return [];
      const idfs = corpus.dfs!.map((df) => bm25Idf(chunkCount, df));
      const meanLength = Math.max(1, Number(corpus.total)) / chunkCount;
      const rules = candidateRules(corpus.terms, corpus.dfs!, chunkCount);
      let rows: LexicalRow[] = [];
      for (const [index, rule] of rules.entries()) {
        const params: unknown[] = [corpus.terms, idfs, bm25.k1, bm25.b, meanLength, options.k, rule.terms];
        const tenant = tenantCondition('tenant', options.tenant, params);
        const filter = filterClause(options.filter, params);
        ({ rows } = await client.query<LexicalRow>(
          `SELECT s.document_id::text AS document_id, d.source, s.chunk_index, s.content_hash, s.text, s.page_start, s.heading, s.score
           FROM (SELECT s.* FROM (SELECT c.id, c.document_id, c.chunk_index, c.content_hash, c.text, c.page_start, c.heading, ${scoreExpression(corpus.terms.length)} AS score
                                    FROM (SELECT id, document_id, chunk_index, content_hash, text, page_start, heading, lexemes, term_freqs,
                                                 $3::float8 * (1 - $4::float8 + $4::float8 * lexical_length / $5::float8) AS norm
                                            FROM ${db.table('chunks')}
                                           WHERE live AND ${tenant} AND lexemes ${rule.match === 'any' ? '&&' : '@>'} $7::text[]
                                          OFFSET 0) c
                                  OFFSET 0) s
                  WHERE s.score > 0 ${filter === '' ? '' : `AND EXISTS (SELECT 1 FROM ${db.table('documents')} d WHERE d.id = s.document_id ${filter})`}
                  ORDER BY s.score DESC, s.id
                  LIMIT $6) s
           JOIN ${db.table('documents')} d ON d.id = s.document_id
          ORDER BY s.score DESC, s.id`,
          params,
        ));
        if (rows.length >= options.k || index === rules.length - 1) break;
      }
      return rows.map((row) => rankedChunk(row, Number(row.score)));
    },
    { settings: ['SET LOCAL jit = off'] },
  );
}

/**
 * Okapi BM25 as Lucene computes it: idf = ln(1 + (N - df + 0.5) / (df + 0.5)), never
 * negative; term frequency saturates with k1; b normalises by chunk length against the mean
 * length. store/lexical-search.ts computes it in SQL with these parameters and this IDF.
 */
export interface Bm25Parameters {
  readonly k1: number;
  readonly b: number;
}

export const BM25_DEFAULTS: Bm25Parameters = { k1: 1.2, b: 0.75 };

export function bm25Idf(chunkCount: number, documentFrequency: number): number {
  return Math.log(1 + (chunkCount - documentFrequency + 0.5) / (documentFrequency + 0.5));
}

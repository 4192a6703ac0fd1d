import type { SearchHit } from '@lanes/contracts';
import type { RankedChunk } from '../store/vector-search.ts';
import { definedOnly } from '@lanes/contracts';

/**
 * Reciprocal-rank fusion: a chunk scores sum(weight / (rrfK + rank)) over the lists that hold
 * it (rank 1-based). Ranks, not scores, are fused: cosine similarities and BM25 scores are on
 * unrelated scales. `depth` is how many candidates each list contributes.
 */
export interface FusionOptions {
  readonly depth: number;
  readonly rrfK: number;
  readonly vectorWeight: number;
  readonly lexicalWeight: number;
}

/**
 * Measured on eval/questions.jsonl with the offline default embedder (README, "Search
 * quality"): its hashing vectors are weak on their own (MRR@10 0.52 against BM25's 0.72), and
 * the textbook fusion (rrfK 60, equal weights) scored 0.66, below BM25 alone. Lexical ranking
 * therefore carries the result: a small rrfK keeps BM25's top ranks apart, and the vector list
 * at weight 0.1 only breaks near-ties and lifts passages BM25 ranks just outside the top 10
 * (MRR@10 0.722, hit@10 0.915 against 0.894; flat for rrfK 2..10). With a strong embedding
 * model, measure and raise LANES_SEARCH_VECTOR_WEIGHT.
 */
export const FUSION_DEFAULTS: FusionOptions = { depth: 50, rrfK: 5, vectorWeight: 0.1, lexicalWeight: 1 };

/**
 * When the fused top k can only be lexical candidates: a chunk the lexical list lacks scores
 * at most vectorWeight / (rrfK + 1), and the lexical top k score at least
 * lexicalWeight / (rrfK + k) each. If the first is below the second, no vector-only chunk
 * reaches the top k (once the lexical list has k entries), and a chunk below lexical rank d
 * can't either when lexicalWeight / (rrfK + d + 1) + vectorWeight / (rrfK + 1) is below it
 * too. Returns that d (the lexical depth that gives the same top k as any deeper list), or
 * undefined when the weights allow vector-only chunks into the top k. With the defaults
 * (rrfK 5, weights 1 and 0.1) and k = 10: 16, not 50.
 */
export function lexicalOnlyDepth(k: number, options: FusionOptions): number | undefined {
  const { rrfK, lexicalWeight, vectorWeight, depth } = options;
  const margin = lexicalWeight / (rrfK + k) - vectorWeight / (rrfK + 1);
  if (lexicalWeight <= 0 || margin <= 0) return undefined;
  // Smallest d with lexicalWeight / (rrfK + d + 1) < margin, plus one so that floating point
  // never cuts off a rank exactly at the bound (it would tie).
  const d = Math.floor(lexicalWeight / margin - rrfK) + 1;
  return Math.min(Math.max(depth, k), Math.max(k, d));
}

export interface RankedLists {
  readonly vector: readonly RankedChunk[];
  readonly lexical: readonly RankedChunk[];
}

function chunkKey(chunk: RankedChunk): string {
  return `${chunk.documentId}:${chunk.chunkIndex}`;
}

export function fuse(lists: RankedLists, k: number, options: FusionOptions): SearchHit[] {
  const fused = new Map<string, { chunk: RankedChunk; score: number; vector?: number; lexical?: number }>();
  const add = (list: readonly RankedChunk[], weight: number, part: 'vector' | 'lexical'): void => {
    for (const [index, chunk] of list.slice(0, options.depth).entries()) {
      const key = chunkKey(chunk);
      const entry = fused.get(key) ?? { chunk, score: 0 };
      entry.score += weight / (options.rrfK + index + 1);
      entry[part] = chunk.score;
      fused.set(key, entry);
    }
  };
  add(lists.lexical, options.lexicalWeight, 'lexical');
  add(lists.vector, options.vectorWeight, 'vector');
  return [...fused.values()]
    .sort((a, b) => b.score - a.score)
    .slice(0, k)
    .map((entry) => ({
      ...toHit(entry.chunk, Math.round(entry.score * 1e6) / 1e6),
      scores: { ...definedOnly({ vector: entry.vector }), ...definedOnly({ lexical: entry.lexical }) },
    }));
}

/** A hit from one list alone (vector or lexical mode). */
export function toHit(chunk: RankedChunk, score: number, part?: 'vector' | 'lexical'): SearchHit {
  return {
    documentId: chunk.documentId,
    source: chunk.source,
    chunkIndex: chunk.chunkIndex,
    score,
    page: chunk.page,
    heading: chunk.heading,
    scores: part === undefined ? {} : { [part]: chunk.score },
    text: chunk.text,
  };
}

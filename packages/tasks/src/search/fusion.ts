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
    scores: part === undefined ? {} : { [part]: chunk.score },
    text: chunk.text,
  };
}

import type { ChunkOptions } from './chunker.ts';

/** Bumped whenever chunk boundaries would change for the same input, so documents re-chunk. */
// v3 bounded every run before the regexes and the tokenizer; v4 gives the chunks of PDFs their pages;
// v5 gives chunks their section heading (same boundaries: stored chunks are re-made to get it).
export const CHUNKER_VERSION = 'chunker-v5';

/** The chunker's identity in content hashes: same input, same settings, same chunks. Kept apart from the chunker, which loads the tokenizer. */
export function chunkerFingerprint(options: ChunkOptions): string {
  return `${CHUNKER_VERSION}:${options.maxTokens}:${options.overlapTokens}`;
}

// Run inside a worker thread by hostile-chunking.test.ts: builds one pathological text and
// times chunkText on it, so a quadratic or crashing chunker is killed at a deadline instead of
// blocking the test's event loop.
import { chunkText } from '@lanes/tasks';

export const PATTERNS = {
  spaces: (bytes: number) => ' '.repeat(bytes),
  tabs: (bytes: number) => '\t'.repeat(bytes),
  newlines: (bytes: number) => '\n'.repeat(bytes),
  'one character': (bytes: number) => 'a'.repeat(bytes),
  'no whitespace (base64)': (bytes: number) =>
    Buffer.alloc(Math.ceil((bytes * 3) / 4), 0x5a)
      .toString('base64')
      .slice(0, bytes),
  dots: (bytes: number) => '.'.repeat(bytes),
  'spaces and newlines': (bytes: number) => ' \n'.repeat(bytes / 2),
  'one-letter words': (bytes: number) => 'a '.repeat(bytes / 2),
} as const;
export type PatternName = keyof typeof PATTERNS;

/** The fastest of `runs` chunkings of `bytes` of the pattern between two words, in ms. */
export function timeChunking(input: { pattern: PatternName; bytes: number; runs: number }): {
  ms: number;
  chunks: number;
} {
  const text = `start ${PATTERNS[input.pattern](input.bytes)} end`;
  let best = Infinity;
  let chunks = 0;
  for (let run = 0; run < input.runs; run++) {
    const started = performance.now();
    chunks = chunkText(text, { maxTokens: 400, overlapTokens: 60 }).length;
    best = Math.min(best, performance.now() - started);
  }
  return { ms: best, chunks };
}

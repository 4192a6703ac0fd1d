import type { Chunk } from './chunker.ts';
import { normaliseText } from './blocks.ts';

/** Pages' text as the chunker will see it, and where each page starts in it. */
export interface PagedText {
  readonly text: string;
  /** Character offset of each non-empty page's text, ascending, with its 1-based page number. */
  readonly starts: ReadonlyArray<{ readonly offset: number; readonly page: number }>;
}

/**
 * Joins pages normalised one by one with a blank line (page breaks are paragraph breaks),
 * skipping empty ones, so the result is already normal: the chunker's own normalisation leaves
 * it unchanged and page offsets hold in the text it chunks.
 */
export function joinPages(pages: readonly string[]): PagedText {
  const parts: string[] = [];
  const starts: Array<{ offset: number; page: number }> = [];
  let offset = 0;
  for (const [index, raw] of pages.entries()) {
    const text = normaliseText(raw);
    if (text === '') continue;
    if (parts.length > 0) offset += 2;
    starts.push({ offset, page: index + 1 });
    parts.push(text);
    offset += text.length;
  }
  return { text: parts.join('\n\n'), starts };
}

function pageAt(starts: PagedText['starts'], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (starts[mid]!.offset <= offset) low = mid;
    else high = mid - 1;
  }
  return starts[low]!.page;
}

/** Enough to place a chunk, short enough to stay within one piece of it. */
const PROBE_CHARS = 40;

/** The text without whitespace, and for each of its characters the offset in the text. */
function compact(text: string): { chars: string; origin: Int32Array } {
  const origin = new Int32Array(text.length);
  let chars = '';
  let n = 0;
  for (const match of text.matchAll(/\S+/g)) {
    chars += match[0];
    for (let i = 0; i < match[0].length; i++) origin[n++] = match.index + i;
  }
  return { chars, origin: origin.subarray(0, n) };
}

/**
 * First and last page of each chunk. Chunks are found in the text in order (a chunk starts at
 * or after the previous one's start: overlap repeats a tail), by their head and their tail,
 * ignoring whitespace: the chunker rejoins pieces with its own separators. A chunk not found
 * (never expected) inherits the previous chunk's pages.
 */
export function locatePages(paged: PagedText, chunks: readonly Chunk[]): Array<{ first: number; last: number }> {
  const text = compact(paged.text);
  const located: Array<{ first: number; last: number }> = [];
  let cursor = 0;
  let previous = { first: paged.starts[0]?.page ?? 1, last: paged.starts[0]?.page ?? 1 };
  for (const chunk of chunks) {
    const body = chunk.text.replace(/\s+/g, '');
    const start = text.chars.indexOf(body.slice(0, PROBE_CHARS), cursor);
    if (start === -1 || paged.starts.length === 0) {
      located.push(previous);
      continue;
    }
    const tail = body.slice(-PROBE_CHARS);
    const tailAt = text.chars.indexOf(tail, start);
    const end = tailAt === -1 ? start : tailAt + tail.length - 1;
    previous = { first: pageAt(paged.starts, text.origin[start]!), last: pageAt(paged.starts, text.origin[end]!) };
    located.push(previous);
    cursor = start + 1;
  }
  return located;
}

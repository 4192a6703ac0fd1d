import { countTokens, decode, encode, isWithinTokenLimit } from 'gpt-tokenizer/encoding/cl100k_base';
import { sha256 } from '../hashing.ts';
import { normaliseText, splitBlocks, splitSentences, type Block } from './blocks.ts';

export interface ChunkOptions {
  /** Target upper bound per chunk, in cl100k_base tokens. */
  readonly maxTokens: number;
  /** Tokens of the previous chunk repeated at the start of the next one within a section. */
  readonly overlapTokens: number;
}

export interface Chunk {
  readonly index: number;
  readonly text: string;
  /** sha256 of `text`: identity for dedup, the embedding cache and stored vectors. */
  readonly hash: string;
  /**
   * cl100k_base tokens: the pieces' exact counts plus their separators. Joining can merge
   * tokens across a joint, so this may differ from a fresh count of `text` by a few percent:
   * good for budgets and request limits, and it spares a second tokenizer pass over every
   * document (tokenizing is most of the cost of chunking).
   */
  readonly tokens: number;
  /** The title of the section the chunk is in (the last markdown heading before its body), else null. */
  readonly heading: string | null;
}

const MAX_HEADING_CHARS = 200;

/** A heading block's title: `## Install ##` -> `Install`, `Title\n=====` -> `Title`. */
function headingTitle(block: string): string {
  const first = block.split('\n')[0]!.trim();
  return first
    .replace(/^#{1,6}\s*/, '')
    .replace(/\s+#+\s*$/, '')
    .trim()
    .slice(0, MAX_HEADING_CHARS);
}

interface Piece {
  readonly text: string;
  readonly tokens: number;
  readonly heading: boolean;
  /**
   * How it joins the piece before it: a blank line (default, a new paragraph), a space (a
   * later sentence of the same paragraph) or nothing (the next slice of a long run).
   */
  readonly joiner?: '\n\n' | ' ' | '';
}

const SEPARATOR_TOKENS = 1; // "\n\n" between pieces is one cl100k token

/** `target.push(...items)` without spreading: a spread of 100k+ items overflows the stack. */
function append(target: Piece[], items: readonly Piece[]): void {
  for (const item of items) target.push(item);
}

/** Cuts one over-long piece by sentences, then (for sentence-free runs) by raw token windows. */
function splitOversized(text: string, maxTokens: number): Piece[] {
  const pieces: Piece[] = [];
  for (const sentence of splitSentences(text)) {
    const tokens = encode(sentence);
    if (tokens.length <= maxTokens) {
      pieces.push({ text: sentence, tokens: tokens.length, heading: false, joiner: pieces.length > 0 ? ' ' : '\n\n' });
      continue;
    }
    for (let start = 0; start < tokens.length; start += maxTokens) {
      const window = tokens.slice(start, start + maxTokens);
      const windowText = decode(window).trim();
      if (windowText !== '')
        pieces.push({
          text: windowText,
          tokens: window.length,
          heading: false,
          joiner: pieces.length > 0 ? ' ' : '\n\n',
        });
    }
  }
  return pieces;
}

/** Whitespace-free runs at least this long (base64, minified code, hex dumps) are sliced. */
const LONG_RUN = 200;
const LONG_RUN_PATTERN = new RegExp(`(\\S{${LONG_RUN},})`);

/**
 * A block with long whitespace-free runs. BPE over one pre-token costs time superlinear in its
 * length (a 1 MiB base64 blob took minutes), so runs are cut into slices of at most
 * min(maxTokens, 128) characters before any tokenizing: a token is at least one character, so
 * a slice never exceeds maxTokens, and short slices keep BPE cheap. Slices rejoin with nothing
 * between them, the surrounding text with spaces. (Normalisation already cut runs longer than
 * MAX_INDEXED_RUN to their head.)
 */
function splitLongRuns(text: string, maxTokens: number): Piece[] {
  const slice = Math.min(maxTokens, 128);
  const pieces: Piece[] = [];
  for (const part of text.split(LONG_RUN_PATTERN)) {
    if (part.length >= LONG_RUN && !/\s/.test(part)) {
      for (let start = 0; start < part.length; start += slice) {
        const piece = part.slice(start, start + slice);
        pieces.push({
          text: piece,
          tokens: countTokens(piece),
          heading: false,
          joiner: start === 0 ? (pieces.length > 0 ? ' ' : '\n\n') : '',
        });
      }
    } else if (part.trim() !== '') {
      const rest = splitOversized(part.trim(), maxTokens);
      if (rest.length > 0 && pieces.length > 0) rest[0] = { ...rest[0]!, joiner: ' ' };
      append(pieces, rest);
    }
  }
  return pieces;
}

function toPieces(blocks: readonly Block[], maxTokens: number): Piece[] {
  const pieces: Piece[] = [];
  for (const block of blocks) {
    if (LONG_RUN_PATTERN.test(block.text)) {
      append(pieces, splitLongRuns(block.text, maxTokens));
      continue;
    }
    // Stops counting at the limit: a PDF page is often one long block, split below anyway.
    const tokens = isWithinTokenLimit(block.text, maxTokens);
    if (tokens !== false) pieces.push({ text: block.text, tokens, heading: block.kind === 'heading' });
    else append(pieces, splitOversized(block.text, maxTokens));
  }
  return pieces;
}

/** The tail of a finished chunk to repeat: whole sentences while they fit in `overlapTokens`. */
function overlapTail(pieces: readonly Piece[], overlapTokens: number): Piece[] {
  if (overlapTokens <= 0) return [];
  const last = pieces.at(-1);
  if (last === undefined || last.heading) return [];
  const sentences = splitSentences(last.text);
  const kept: string[] = [];
  let total = 0;
  for (let i = sentences.length - 1; i >= 0; i--) {
    const tokens = countTokens(sentences[i]!);
    if (total + tokens > overlapTokens) break;
    kept.unshift(sentences[i]!);
    total += tokens + 1;
  }
  if (kept.length === 0 || kept.length === sentences.length) {
    // No sentence fits (or the whole piece would repeat): fall back to the last tokens.
    if (kept.length === sentences.length && total <= overlapTokens)
      return [{ text: kept.join(' '), tokens: total, heading: false }];
    const tokens = encode(last.text).slice(-overlapTokens);
    const text = decode(tokens).trim();
    return text === '' ? [] : [{ text, tokens: tokens.length, heading: false }];
  }
  return [{ text: kept.join(' '), tokens: total, heading: false }];
}

/**
 * Token-based chunking with overlap that respects structure: a heading always starts a new
 * chunk (headings stay with the text below them, never with the section above), paragraphs
 * are packed whole while they fit, over-long paragraphs split at sentence ends. Overlap is
 * carried only within a section, so no chunk straddles two headings.
 */
export function chunkText(raw: string, options: ChunkOptions): Chunk[] {
  const text = normaliseText(raw);
  if (text === '') return [];
  const pieces = toPieces(splitBlocks(text), options.maxTokens);
  const chunks: Chunk[] = [];
  let current: Piece[] = [];
  let currentTokens = 0;
  let hasBody = false;
  // The title of the last heading read, and the one of the chunk being built: the last heading
  // before its body (so `# Guide` then `## Install` gives `Install`); a chunk cut from a long
  // section keeps the section's.
  let section: string | null = null;
  let heading: string | null = null;

  // A chunk of headings only (a document ending in a heading) is kept: still searchable text.
  const emit = (): void => {
    const body = current
      .map((piece, i) => (i === 0 ? piece.text : `${piece.joiner ?? '\n\n'}${piece.text}`))
      .join('')
      .trim();
    // A space before the next sentence merges into its first token; a blank line is one token.
    const tokens = current.reduce(
      (sum, piece, i) => sum + piece.tokens + (i > 0 && (piece.joiner ?? '\n\n') === '\n\n' ? SEPARATOR_TOKENS : 0),
      0,
    );
    if (body !== '') chunks.push({ index: chunks.length, text: body, hash: sha256(body), tokens, heading });
  };

  for (const piece of pieces) {
    if (piece.heading && hasBody) {
      emit();
      current = [];
      currentTokens = 0;
      hasBody = false;
    }
    if (piece.heading) section = headingTitle(piece.text) || section;
    if (!hasBody) heading = section;
    const added = piece.tokens + (current.length > 0 ? SEPARATOR_TOKENS : 0);
    if (!piece.heading && currentTokens + added > options.maxTokens && current.length > 0) {
      const tail = hasBody ? overlapTail(current, options.overlapTokens) : [];
      emit();
      current = tail.filter((t) => t.tokens + piece.tokens + SEPARATOR_TOKENS <= options.maxTokens);
      currentTokens = current.reduce((sum, t) => sum + t.tokens, 0);
      hasBody = false;
    }
    current.push(piece);
    currentTokens += piece.tokens + (current.length > 1 ? SEPARATOR_TOKENS : 0);
    if (!piece.heading) hasBody = true;
  }
  if (current.length > 0) emit();
  return chunks;
}

import { boundRuns } from './runs.ts';

/**
 * Splits text into the units a chunk must not cut through carelessly: markdown headings,
 * paragraphs (blank-line separated) and fenced code blocks (kept whole, blank lines included).
 */
export interface Block {
  readonly kind: 'heading' | 'paragraph' | 'code';
  readonly text: string;
}

const ATX_HEADING = /^ {0,3}#{1,6}(\s|$)/;
const FENCE = /^ {0,3}(```|~~~)/;
const SETEXT_UNDERLINE = /^ {0,3}(=+|-+)\s*$/;

/**
 * Line endings, NULs, trailing blanks, runs of blank lines and over-long runs normalised, so
 * hashes are stable and every later step is linear in the input (see runs.ts).
 */
export function normaliseText(text: string): string {
  return (
    boundRuns(text.replace(/\r\n?/g, '\n').replace(/\u0000/g, ''))
      // Dot leaders of tables of contents (". . . . . 12") are noise to a tokenizer and an embedder.
      .replace(/(?:\. ?){4,}/g, '… ')
      .trim()
  );
}

export function splitBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  let fence: { marker: string; lines: string[] } | undefined;

  const flushParagraph = (): void => {
    if (paragraph.length > 0) blocks.push({ kind: 'paragraph', text: paragraph.join('\n') });
    paragraph = [];
  };

  for (const line of text.split('\n')) {
    if (fence !== undefined) {
      fence.lines.push(line);
      if (line.trimStart().startsWith(fence.marker)) {
        blocks.push({ kind: 'code', text: fence.lines.join('\n') });
        fence = undefined;
      }
      continue;
    }
    const fenceMatch = FENCE.exec(line);
    if (fenceMatch !== null) {
      flushParagraph();
      fence = { marker: fenceMatch[1]!, lines: [line] };
      continue;
    }
    if (ATX_HEADING.test(line)) {
      flushParagraph();
      blocks.push({ kind: 'heading', text: line.trim() });
      continue;
    }
    // "Title\n=====": the single preceding line is a heading (a lone `---` after text is too).
    if (SETEXT_UNDERLINE.test(line) && paragraph.length === 1) {
      blocks.push({ kind: 'heading', text: `${paragraph[0]!.trim()}\n${line.trim()}` });
      paragraph = [];
      continue;
    }
    if (line.trim() === '') {
      flushParagraph();
      continue;
    }
    paragraph.push(line);
  }
  flushParagraph();
  if (fence !== undefined) blocks.push({ kind: 'code', text: fence.lines.join('\n') });
  return blocks;
}

/** Sentence split for paragraphs too long for one chunk; keeps the punctuation with its sentence. */
export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?。！？])\s+(?=\S)|\n+/u)
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence !== '');
}

import { PDFParse } from 'pdf-parse';
import { DocumentRejectedError } from '@lanes/contracts';

export interface PdfOptions {
  readonly maxPages: number;
  /** Characters of text at most: a PDF can hold far more text than its size suggests. */
  readonly maxTextChars: number;
  /** Pages parsed per getText call: progress granularity, and pdf.js page caches freed in between. */
  readonly pagesPerSlice: number;
  readonly onProgress?: (pagesParsed: number, pagesTotal: number) => void;
}

export interface PdfText {
  readonly pages: number;
  /** Each page's text, in page order. */
  readonly pageTexts: readonly string[];
}

export function tooMuchText(source: string, maxTextChars: number): DocumentRejectedError {
  return new DocumentRejectedError(
    source,
    `yields more than ${maxTextChars} characters of text (LANES_MAX_TEXT_CHARS)`,
  );
}

/** pdf.js exception names (pdf-parse re-exports them) to readable reasons. */
function reasonFor(error: unknown): string {
  const name = (error as { name?: unknown }).name;
  const message = error instanceof Error ? error.message : String(error);
  switch (name) {
    case 'PasswordException':
      return 'the PDF is encrypted (password-protected); decrypt it first';
    case 'InvalidPDFException':
      return `not a valid PDF (corrupt or truncated): ${message}`;
    case 'FormatError':
      return `the PDF is malformed: ${message}`;
    default:
      return `the PDF could not be parsed: ${message}`;
  }
}

/**
 * Text of a PDF, a slice of pages at a time so progress can be reported and page resources
 * released as we go. CPU-bound: call it inside a worker thread (see extract-document.ts).
 */
export async function extractPdfText(bytes: Uint8Array, source: string, options: PdfOptions): Promise<PdfText> {
  if (bytes.byteLength === 0) throw new DocumentRejectedError(source, 'the file is empty (0 bytes)');
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, Math.min(bytes.byteLength, 1024)));
  if (!head.includes('%PDF-')) throw new DocumentRejectedError(source, 'not a PDF (no %PDF- header)');
  const parser = new PDFParse({ data: bytes, stopAtErrors: false });
  try {
    let total: number;
    const parts: string[] = [];
    let chars = 0;
    const keep = (pages: readonly { text: string }[]): void => {
      for (const page of pages) {
        chars += page.text.length + 2;
        if (chars > options.maxTextChars) throw tooMuchText(source, options.maxTextChars);
        parts.push(page.text);
      }
    };
    try {
      // Page 1 alone first: learns the page count, so an oversized PDF is refused before the work.
      const first = await parser.getText({ first: 1, last: 1 });
      total = first.total;
      if (total > options.maxPages)
        throw new DocumentRejectedError(
          source,
          `has ${total} pages, more than the limit of ${options.maxPages} (LANES_MAX_PDF_PAGES)`,
        );
      keep(first.pages);
      options.onProgress?.(first.pages.length, total);
      for (let start = first.pages.length + 1; start <= total; start += options.pagesPerSlice) {
        const last = Math.min(total, start + options.pagesPerSlice - 1);
        const slice = await parser.getText({ first: start, last });
        keep(slice.pages);
        options.onProgress?.(last, total);
      }
    } catch (error) {
      if (error instanceof DocumentRejectedError) throw error;
      throw new DocumentRejectedError(source, reasonFor(error));
    }
    if (parts.every((part) => part.trim() === ''))
      throw new DocumentRejectedError(
        source,
        `has no extractable text in ${total} page(s) (scanned images? OCR is not supported)`,
      );
    return { pages: total, pageTexts: parts };
  } finally {
    await parser.destroy().catch(() => undefined);
  }
}

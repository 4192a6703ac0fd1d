/**
 * Entry point run inside an extraction thread (see extraction-pool.ts): reads the file,
 * extracts text and chunks it, all CPU-bound work kept off the event loop that renews job
 * locks. `report` sends progress back to the job.
 */
import { chunkText, type Chunk, type ChunkOptions } from '../chunk/chunker.ts';
import { joinPages, locatePages } from '../chunk/pages.ts';
import { DocumentRejectedError, type DocumentKind } from '@lanes/contracts';
import { extractPdfText, tooMuchText } from './pdf.ts';
import { decodeText } from './text-decoding.ts';
import { fileIdentity, openDocumentFile } from './open-file.ts';
import { lexicalColumns, type LexicalColumns } from '../lexical/stored-terms.ts';

export interface IsolatedExtractInput {
  readonly source: string;
  readonly kind: DocumentKind | 'inline';
  /** File to read (kind pdf/txt/md) ... */
  readonly path?: string;
  /** ... only under these roots, when set ... */
  readonly roots?: readonly string[];
  /** ... and only if it is still the file that was described (device:inode) ... */
  readonly fileId?: string;
  /** ... or the text itself (kind inline). */
  readonly text?: string;
  readonly chunking: ChunkOptions;
  readonly maxPages: number;
  readonly maxTextChars: number;
  readonly pagesPerSlice: number;
}

/** A chunk, its term bag and, for paged documents (PDF), its first and last 1-based page. */
export interface PagedChunk extends Chunk {
  readonly pages: { readonly first: number; readonly last: number } | null;
  readonly lexical: LexicalColumns;
}

export interface ExtractProgress {
  readonly stage: 'extracting' | 'chunking';
  readonly pagesParsed: number;
  readonly pagesTotal: number;
}

export interface IsolatedExtractOutput {
  readonly pages: number;
  readonly chunks: PagedChunk[];
}

/** The file's bytes, opened again under the same confinement as when it was described. */
async function readDescribedFile(input: IsolatedExtractInput): Promise<Uint8Array> {
  const handle = await openDocumentFile(
    input.path!,
    input.source,
    input.roots === undefined ? undefined : { roots: input.roots },
  );
  try {
    if (input.fileId !== undefined && (await fileIdentity(handle)) !== input.fileId) {
      throw new DocumentRejectedError(
        input.source,
        'was replaced by another file while it was being ingested; enqueue it again',
      );
    }
    return new Uint8Array(await handle.readFile());
  } finally {
    await handle.close();
  }
}

export async function extractAndChunk(
  input: IsolatedExtractInput,
  report: (progress: ExtractProgress) => void = () => undefined,
): Promise<IsolatedExtractOutput> {
  if (input.kind === 'pdf') {
    const pdf = await extractPdfText(await readDescribedFile(input), input.source, {
      maxPages: input.maxPages,
      maxTextChars: input.maxTextChars,
      pagesPerSlice: input.pagesPerSlice,
      onProgress: (pagesParsed, pagesTotal) => report({ stage: 'extracting', pagesParsed, pagesTotal }),
    });
    report({ stage: 'chunking', pagesParsed: pdf.pages, pagesTotal: pdf.pages });
    const paged = joinPages(pdf.pageTexts);
    const chunks = chunkText(paged.text, input.chunking);
    const located = locatePages(paged, chunks);
    return {
      pages: pdf.pages,
      chunks: chunks.map((chunk, i) => ({ ...chunk, pages: located[i]!, lexical: lexicalColumns(chunk.text) })),
    };
  }
  const text = input.kind === 'inline' ? (input.text ?? '') : decodeText(await readDescribedFile(input), input.source);
  if (text.length > input.maxTextChars) throw tooMuchText(input.source, input.maxTextChars);
  report({ stage: 'chunking', pagesParsed: 1, pagesTotal: 1 });
  return {
    pages: 1,
    chunks: chunkText(text, input.chunking).map((chunk) => ({
      ...chunk,
      pages: null,
      lexical: lexicalColumns(chunk.text),
    })),
  };
}

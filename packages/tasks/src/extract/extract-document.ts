import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { extname } from 'node:path';
import type { ChunkOptions } from '../chunk/chunker.ts';
import { chunkerFingerprint } from '../chunk/fingerprint.ts';
import { DocumentRejectedError, type DocumentKind } from '@lanes/contracts';
import { detectKind } from './detect.ts';
import { ExtractionPool } from './extraction-pool.ts';
import { fileIdentity, openDocumentFile, type FileConfinement } from './open-file.ts';
import type { ExtractProgress, IsolatedExtractInput, IsolatedExtractOutput } from './isolated-extract.ts';
import { definedOnly } from '@lanes/contracts';

export interface ExtractionLimits {
  readonly maxBytes: number;
  readonly maxPages: number;
  /** Heap cap of each extraction thread. */
  readonly maxHeapMb: number;
  /** Time bound of one document's extraction and chunking. */
  readonly timeoutMs: number;
  /** Memory of one extraction thread, heap and buffers. */
  readonly maxMemoryMb: number;
  /** Characters of text one document may yield. */
  readonly maxTextChars: number;
  readonly pagesPerSlice: number;
}

export type DocumentExtractor = ExtractionPool<IsolatedExtractInput, IsolatedExtractOutput, ExtractProgress>;

/** What will be read, identified before any parsing: enough to skip unchanged documents. */
export interface DocumentInput {
  readonly source: string;
  readonly kind: DocumentKind | 'inline';
  readonly path?: string;
  /** Set for a confined path: the roots it must lie under each time it is opened. */
  readonly roots?: readonly string[];
  /** Device and inode of the file described: the extraction thread reads only that file. */
  readonly fileId?: string;
  readonly text?: string;
  /** sha256 over the chunker settings and the raw content. */
  readonly contentHash: string;
  readonly bytes: number;
}

// The sibling module with this file's own extension: `.ts` when run from source, `.js` when built.
const ISOLATED_MODULE = new URL(`./isolated-extract${extname(import.meta.url)}`, import.meta.url);

/**
 * Texts up to this size chunk in well under a second (chunking is linear), so they may use a
 * thread kept for them. PDFs never count as small: their cost does not follow their size.
 */
const SMALL_TEXT_BYTES = 1024 * 1024;

/**
 * pdf.js and the tokenizer make garbage fast and keep little: with the young generation V8
 * derives from the heap cap, an extraction thread grew the process by about 245 MiB on a
 * 300-page PDF; with 16 MiB, by about 135 MiB, and with 18 % less CPU (fewer pages touched).
 * Measured with bench/tools/ingest-profile.ts's corpus, three runs each.
 */
const YOUNG_GENERATION_MB = 16;

/**
 * The threads one process extracts documents in: `threads` documents at a time, others queue,
 * and one more thread for small texts, so a 35-byte note never waits behind a huge PDF.
 */
export function createDocumentExtractor(
  limits: Pick<ExtractionLimits, 'maxHeapMb' | 'maxMemoryMb' | 'timeoutMs'>,
  threads: number,
): DocumentExtractor {
  return new ExtractionPool({
    moduleUrl: ISOLATED_MODULE,
    exportName: 'extractAndChunk',
    size: threads,
    reservedForSmall: 1,
    maxHeapMb: limits.maxHeapMb,
    maxYoungGenerationMb: YOUNG_GENERATION_MB,
    maxMemoryMb: limits.maxMemoryMb,
    timeoutMs: limits.timeoutMs,
  });
}

async function hashFile(handle: FileHandle, size: number, prefix: string): Promise<string> {
  const hash = createHash('sha256').update(prefix);
  // Streamed: a 100 MB PDF is hashed without blocking the event loop or holding it in memory.
  for await (const chunk of handle.createReadStream({ start: 0, end: size - 1, autoClose: false }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Checks type and size and hashes the content; throws DocumentRejectedError for bad input
 * (PathNotAllowedError for a confined path outside the roots).
 */
export async function describeFile(
  path: string,
  source: string,
  chunking: ChunkOptions,
  limits: ExtractionLimits,
  confinement?: FileConfinement,
): Promise<DocumentInput> {
  const kind = detectKind(path, source);
  const handle = await openDocumentFile(path, source, confinement);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new DocumentRejectedError(source, 'is not a regular file');
    const size = info.size;
    if (size === 0) throw new DocumentRejectedError(source, 'the file is empty (0 bytes)');
    if (size > limits.maxBytes) {
      throw new DocumentRejectedError(
        source,
        `is ${size} bytes, more than the limit of ${limits.maxBytes} (LANES_MAX_DOCUMENT_BYTES)`,
      );
    }
    const contentHash = await hashFile(handle, size, `${chunkerFingerprint(chunking)}\0${kind}\0`);
    return {
      source,
      kind,
      path,
      ...definedOnly({ roots: confinement?.roots }),
      fileId: await fileIdentity(handle),
      contentHash,
      bytes: size,
    };
  } finally {
    await handle.close();
  }
}

export function describeText(
  text: string,
  source: string,
  chunking: ChunkOptions,
  limits: ExtractionLimits,
): DocumentInput {
  const bytes = Buffer.byteLength(text);
  if (bytes > limits.maxBytes)
    throw new DocumentRejectedError(
      source,
      `is ${bytes} bytes, more than the limit of ${limits.maxBytes} (LANES_MAX_DOCUMENT_BYTES)`,
    );
  const contentHash = createHash('sha256')
    .update(`${chunkerFingerprint(chunking)}\0inline\0`)
    .update(text)
    .digest('hex');
  return { source, kind: 'inline', text, contentHash, bytes };
}

/**
 * Extracts and chunks in an extraction thread with a capped heap: a huge or hostile PDF can
 * neither stall this process's event loop (job locks keep renewing) nor grow its memory without
 * bound; the thread is killed when the job is aborted.
 */
export async function extractDocument(
  extractor: DocumentExtractor,
  input: DocumentInput,
  chunking: ChunkOptions,
  limits: ExtractionLimits,
  options: { signal?: AbortSignal; onProgress?: (progress: ExtractProgress) => void } = {},
): Promise<IsolatedExtractOutput> {
  const request: IsolatedExtractInput = {
    source: input.source,
    kind: input.kind,
    ...definedOnly({ path: input.path }),
    ...definedOnly({ roots: input.roots }),
    ...definedOnly({ fileId: input.fileId }),
    ...definedOnly({ text: input.text }),
    chunking,
    maxPages: limits.maxPages,
    maxTextChars: limits.maxTextChars,
    pagesPerSlice: limits.pagesPerSlice,
  };
  const output = await extractor.run(request, {
    ...options,
    small: input.kind !== 'pdf' && input.bytes <= SMALL_TEXT_BYTES,
  });
  if (output.chunks.length === 0) throw new DocumentRejectedError(input.source, 'contains no text to index');
  return output;
}

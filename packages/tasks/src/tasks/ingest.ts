import { resolve } from 'node:path';
import { batchEmbed, definedOnly, ingest, type BatchEmbedResult, type IngestResult } from '@lanes/contracts';
import { child, implement, type TaskContext, type TaskDefinition } from '@lanes/worker-core';
import { TenantMismatchError } from '../errors.ts';
import type { RagConfig } from '../config.ts';
import type { DocumentJobs } from '../corpus/document-jobs.ts';
import type { IngestProgress } from '../corpus/ingest-progress.ts';
import { describeFile, describeText, extractDocument, type DocumentExtractor, type DocumentInput } from '../extract/extract-document.ts';
import type { CorpusVersion } from '../search/corpus-version.ts';
import type { DocumentStore, StageResult } from '../store/documents.ts';
import type { EmbeddingSpace } from '../store/embedding-spaces.ts';

export interface IngestDeps {
  readonly settings: Pick<RagConfig, 'chunking' | 'extraction' | 'allowedRoots' | 'ingest'>;
  readonly documents: Pick<DocumentStore, 'findUpToDate' | 'stage' | 'finalise'>;
  /** Extraction threads, started on the first document. */
  readonly extractor: DocumentExtractor;
  /** The configured model's space: "unchanged" means every chunk has a vector here. */
  readonly primary: EmbeddingSpace;
  /** Every space with a vector table: finalising collects orphaned vectors in each. */
  readonly spaces: () => Promise<readonly EmbeddingSpace[]>;
  readonly corpus: Pick<CorpusVersion, 'bump'>;
  readonly progress: Pick<IngestProgress, 'start' | 'clear'>;
  readonly jobs: Pick<DocumentJobs, 'record'>;
}

/** At most this many progress writes per second: a 2000-page PDF must not flood Redis. */
const PROGRESS_INTERVAL_MS = 250;

function throttled(ctx: TaskContext): (value: Record<string, unknown>, force?: boolean) => void {
  let last = 0;
  return (value, force = false) => {
    const now = Date.now();
    if (!force && now - last < PROGRESS_INTERVAL_MS) return;
    last = now;
    void ctx.progress(value).catch(() => undefined);
  };
}

async function finalise(
  deps: IngestDeps,
  source: string,
  documentId: string,
  generation: number,
  embedded: number,
  ctx: TaskContext,
): Promise<IngestResult> {
  const spaces = await deps.spaces();
  const outcome = await deps.documents.finalise(documentId, generation, deps.primary, spaces);
  if (outcome.changed) await deps.corpus.bump();
  if (outcome.state === 'superseded') ctx.logger.info({ documentId, generation }, 'a newer version of this document was staged meanwhile; it wins');
  await deps.progress.clear(ctx.job.id);
  await ctx.progress({ stage: 'done', chunksTotal: outcome.chunks, chunksEmbedded: embedded, pagesParsed: outcome.pages, pagesTotal: outcome.pages });
  return {
    documentId,
    source,
    pages: outcome.pages,
    chunks: outcome.chunks,
    embedded,
    unchanged: Math.max(0, outcome.chunks - embedded),
    removed: outcome.removed,
  };
}

/** The document's tenant: the payload's, else the job's (options.tenant); given both, they must agree. */
function documentTenant(payloadTenant: string | undefined, jobTenant: string | undefined): string | undefined {
  if (payloadTenant !== undefined && jobTenant !== undefined && payloadTenant !== jobTenant) throw new TenantMismatchError(payloadTenant, jobTenant);
  return payloadTenant ?? jobTenant;
}

/** Groups the texts to embed into batch-embed children, keyed by generation so retries reuse them. */
function childrenFor(staged: StageResult, perChild: number, _ctx: TaskContext): ReturnType<typeof child>[] {
  const children: ReturnType<typeof child>[] = [];
  for (let start = 0, n = 0; start < staged.toEmbed.length; start += perChild, n++) {
    const chunkIds = staged.toEmbed.slice(start, start + perChild).map((ref) => ref.id);
    children.push(
      child(
        batchEmbed,
        { documentId: staged.documentId, chunkIds, generation: staged.generation },
        `g${staged.generation}-b${n}`,
      ),
    );
  }
  return children;
}

/**
 * `ingest`: path or inline text → (unchanged? done) → extract + chunk in a worker thread →
 * stage a new generation of chunks → batch-embed children for texts without a vector →
 * (resumed when they complete) swap generations, delete stale chunks and vectors.
 */
export function createIngestTask(deps: IngestDeps): TaskDefinition<typeof ingest> {
  return implement(ingest, async (payload, ctx) => {
    const { settings: config, documents, primary } = deps;
    const path = payload.path === undefined ? undefined : resolve(payload.path);
    const source = payload.source ?? path ?? '(inline)';
    const tenant = documentTenant(payload.tenant, ctx.job.tenant);

    if (ctx.childResults !== undefined) {
      const results = ctx.childResults as BatchEmbedResult[];
      const first = results[0];
      if (first !== undefined && first.generation !== null) {
        const embedded = results.reduce((sum, result) => sum + result.chunks, 0);
        return finalise(deps, source, first.documentId, first.generation, embedded, ctx);
      }
    }

    // The corpus view shows each document's newest ingest and whether it failed.
    await deps.jobs.record({ tenant, source }, ctx.job.lane, ctx.job.id);
    const input: DocumentInput =
      path !== undefined
        ? await describeFile(path, source, config.chunking, config.extraction, payload.confined === true ? { roots: config.allowedRoots } : undefined)
        : describeText(payload.text ?? '', source, config.chunking, config.extraction);

    const current = await documents.findUpToDate(tenant, source, input.contentHash, primary);
    if (current !== undefined) {
      await ctx.progress({ stage: 'done', unchanged: true, chunksTotal: current.chunks, chunksEmbedded: 0, pagesParsed: current.pages, pagesTotal: current.pages });
      return { documentId: current.documentId, source, pages: current.pages, chunks: current.chunks, embedded: 0, unchanged: current.chunks, removed: 0 };
    }

    const report = throttled(ctx);
    report({ stage: 'extracting', pagesParsed: 0, pagesTotal: null }, true);
    const extracted = await extractDocument(deps.extractor, input, config.chunking, config.extraction, {
      signal: ctx.signal,
      onProgress: (progress) => report({ ...progress }, progress.stage === 'chunking'),
    });

    const staged = await documents.stage({
      source,
      ...definedOnly({ tenant }),
      metadata: payload.metadata ?? {},
      contentHash: input.contentHash,
      pages: extracted.pages,
      chunks: extracted.chunks,
      primary,
      jobId: ctx.job.id,
    });
    ctx.logger.info(
      { documentId: staged.documentId, generation: staged.generation, pages: extracted.pages, chunks: staged.total, toEmbed: staged.toEmbed.length },
      'document staged',
    );
    if (staged.toEmbed.length === 0) return finalise(deps, source, staged.documentId, staged.generation, 0, ctx);

    await deps.progress.start(ctx.job.id, staged.toEmbed.length, extracted.pages);
    await ctx.progress({ stage: 'embedding', chunksTotal: staged.toEmbed.length, chunksEmbedded: 0, pagesParsed: extracted.pages, pagesTotal: extracted.pages });
    return ctx.awaitChildren(childrenFor(staged, config.ingest.chunksPerChild, ctx));
  });
}

import { resolve } from 'node:path';
import { batchEmbed, definedOnly, ingest, TenantMismatchError, type IngestResult } from '@lanes/contracts';
import { child, implement, type ChildRequest, type TaskContext, type TaskDefinition } from '@lanes/worker-core';
import type { RagConfig } from '../config.ts';
import type { DocumentJobs } from '../corpus/document-jobs.ts';
import type { IngestProgress } from '../corpus/ingest-progress.ts';
import {
  describeFile,
  describeText,
  extractDocument,
  type DocumentExtractor,
  type DocumentInput,
} from '../extract/extract-document.ts';
import type { CorpusVersion } from '../search/corpus-version.ts';
import type { DocumentStore } from '../store/documents.ts';
import type { EmbeddingSpace } from '../store/embedding-spaces.ts';
import { targetsOf, type SpacesInUse } from '../migration/live-spaces.ts';

export interface IngestDeps {
  readonly settings: Pick<RagConfig, 'chunking' | 'extraction' | 'allowedRoots' | 'ingest'>;
  readonly documents: Pick<DocumentStore, 'findUpToDate' | 'stage' | 'finalise'>;
  /** Extraction threads, started on the first document. */
  readonly extractor: DocumentExtractor;
  /** The spaces in use: "unchanged" means every chunk has a vector in the live one; new texts go to it and the shadow. */
  readonly inUse: () => Promise<SpacesInUse>;
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
  const [spaces, { live }] = await Promise.all([deps.spaces(), deps.inUse()]);
  const outcome = await deps.documents.finalise(documentId, generation, live, spaces);
  if (outcome.changed) await deps.corpus.bump();
  if (outcome.state === 'superseded')
    ctx.logger.info({ documentId, generation }, 'a newer version of this document was staged meanwhile; it wins');
  await deps.progress.clear(ctx.job.id);
  await ctx.progress({
    stage: 'done',
    chunksTotal: outcome.chunks,
    chunksEmbedded: embedded,
    pagesParsed: outcome.pages,
    pagesTotal: outcome.pages,
  });
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
  if (payloadTenant !== undefined && jobTenant !== undefined && payloadTenant !== jobTenant)
    throw new TenantMismatchError(payloadTenant, jobTenant);
  return payloadTenant ?? jobTenant;
}

/** What the `stage` step records in the job: enough to spawn the children and finalise. */
type Staged =
  | { readonly kind: 'unchanged'; readonly result: IngestResult }
  | {
      readonly kind: 'staged';
      readonly documentId: string;
      readonly generation: number;
      readonly batches: readonly (readonly string[])[];
    };

/** Groups the chunk ids to embed into batches of at most `perChild`, one batch-embed child each. */
function batchesOf(chunkIds: readonly string[], perChild: number): string[][] {
  const batches: string[][] = [];
  for (let start = 0; start < chunkIds.length; start += perChild) batches.push(chunkIds.slice(start, start + perChild));
  return batches;
}

/** Keyed by generation, so the children of one staged generation keep their ids on every entry. */
function childrenFor(staged: Extract<Staged, { kind: 'staged' }>): ChildRequest<typeof batchEmbed>[] {
  return staged.batches.map((chunkIds, n) =>
    child(
      batchEmbed,
      { documentId: staged.documentId, chunkIds: [...chunkIds], generation: staged.generation },
      `g${staged.generation}-b${n}`,
    ),
  );
}

/**
 * `ingest`, in two steps: `stage` (path or inline text → unchanged? done → extract + chunk in
 * a worker thread → stage a new generation of chunks), then batch-embed children for texts
 * without a vector; with their results, swap generations, delete stale chunks and vectors.
 */
export function createIngestTask(deps: IngestDeps): TaskDefinition<typeof ingest> {
  return implement(ingest, async (payload, ctx) => {
    const { settings: config, documents } = deps;
    const path = payload.path === undefined ? undefined : resolve(payload.path);
    const source = payload.source ?? path ?? '(inline)';
    const tenant = documentTenant(payload.tenant, ctx.job.tenant);

    const staged = await ctx.step('stage', async (): Promise<Staged> => {
      // The corpus view shows each document's newest ingest and whether it failed.
      await deps.jobs.record({ tenant, source }, ctx.job.lane, ctx.job.id);
      const input: DocumentInput =
        path !== undefined
          ? await describeFile(
              path,
              source,
              config.chunking,
              config.extraction,
              payload.confined === true ? { roots: config.allowedRoots } : undefined,
            )
          : describeText(payload.text ?? '', source, config.chunking, config.extraction);

      const inUse = await deps.inUse();
      const current = await documents.findUpToDate(tenant, source, input.contentHash, inUse.live);
      if (current !== undefined) {
        await ctx.progress({
          stage: 'done',
          unchanged: true,
          chunksTotal: current.chunks,
          chunksEmbedded: 0,
          pagesParsed: current.pages,
          pagesTotal: current.pages,
        });
        return {
          kind: 'unchanged',
          result: {
            documentId: current.documentId,
            source,
            pages: current.pages,
            chunks: current.chunks,
            embedded: 0,
            unchanged: current.chunks,
            removed: 0,
          },
        };
      }

      const report = throttled(ctx);
      report({ stage: 'extracting', pagesParsed: 0, pagesTotal: null }, true);
      const extracted = await extractDocument(deps.extractor, input, config.chunking, config.extraction, {
        signal: ctx.signal,
        onProgress: (progress) => report({ ...progress }, progress.stage === 'chunking'),
      });

      const stage = await documents.stage({
        source,
        ...definedOnly({ tenant }),
        metadata: payload.metadata ?? {},
        contentHash: input.contentHash,
        pages: extracted.pages,
        chunks: extracted.chunks,
        spaces: targetsOf(await deps.inUse()),
        jobId: ctx.job.id,
      });
      ctx.logger.info(
        {
          documentId: stage.documentId,
          generation: stage.generation,
          pages: extracted.pages,
          chunks: stage.total,
          toEmbed: stage.toEmbed.length,
        },
        'document staged',
      );
      if (stage.toEmbed.length > 0) {
        await deps.progress.start(ctx.job.id, stage.toEmbed.length, extracted.pages);
        await ctx.progress({
          stage: 'embedding',
          chunksTotal: stage.toEmbed.length,
          chunksEmbedded: 0,
          pagesParsed: extracted.pages,
          pagesTotal: extracted.pages,
        });
      }
      const batches = batchesOf(
        stage.toEmbed.map((ref) => ref.id),
        config.ingest.chunksPerChild,
      );
      return { kind: 'staged', documentId: stage.documentId, generation: stage.generation, batches };
    });
    if (staged.kind === 'unchanged') return staged.result;

    const results = await ctx.awaitChildren(childrenFor(staged), 'embed');
    const embedded = results.reduce((sum, result) => sum + result.chunks, 0);
    return finalise(deps, source, staged.documentId, staged.generation, embedded, ctx);
  });
}

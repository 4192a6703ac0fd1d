import { resolve } from 'node:path';
import { batchEmbed, ingest, TenantMismatchError, type IngestResult } from '@lanes/contracts';
import { child, implement, type ChildRequest, type TaskContext, type TaskDefinition } from '@lanes/worker-core';
import { describeFile, describeText, extractDocument, type DocumentInput } from '../extract/extract-document.ts';
import { documentJobField } from '../redis-keys.ts';
import type { RagServices } from '../services.ts';

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
  services: RagServices,
  source: string,
  documentId: string,
  generation: number,
  embedded: number,
  ctx: TaskContext,
): Promise<IngestResult> {
  const spaces = await services.allSpaces();
  const outcome = await services.documents.finalise(documentId, generation, services.primary.space, spaces);
  if (outcome.changed) await services.corpus.bump();
  if (outcome.state === 'superseded') ctx.logger.info({ documentId, generation }, 'a newer version of this document was staged meanwhile; it wins');
  await services.redis.del(services.keys.ingestProgress(ctx.job.id));
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

/** What the `stage` step records in the job: enough to spawn the children and finalise. */
type Staged =
  | { readonly kind: 'unchanged'; readonly result: IngestResult }
  | { readonly kind: 'staged'; readonly documentId: string; readonly generation: number; readonly batches: readonly (readonly string[])[] };

/** Groups the chunk ids to embed into batches of at most `perChild`, one batch-embed child each. */
function batchesOf(chunkIds: readonly string[], perChild: number): string[][] {
  const batches: string[][] = [];
  for (let start = 0; start < chunkIds.length; start += perChild) batches.push(chunkIds.slice(start, start + perChild));
  return batches;
}

/** Keyed by generation, so the children of one staged generation keep their ids on every entry. */
function childrenFor(staged: Extract<Staged, { kind: 'staged' }>): ChildRequest<typeof batchEmbed>[] {
  return staged.batches.map((chunkIds, n) =>
    child(batchEmbed, { documentId: staged.documentId, chunkIds: [...chunkIds], generation: staged.generation }, `g${staged.generation}-b${n}`),
  );
}

/**
 * `ingest`, in two steps: `stage` (path or inline text → unchanged? done → extract + chunk in
 * a worker thread → stage a new generation of chunks), then batch-embed children for texts
 * without a vector; with their results, swap generations, delete stale chunks and vectors.
 */
export function createIngestTask(services: RagServices): TaskDefinition<typeof ingest> {
  return implement(ingest, async (payload, ctx) => {
    const { config, documents, primary } = services;
    const path = payload.path === undefined ? undefined : resolve(payload.path);
    const source = payload.source ?? path ?? '(inline)';
    const tenant = documentTenant(payload.tenant, ctx.job.tenant);

    const staged = await ctx.step('stage', async (): Promise<Staged> => {
      // The corpus view shows each document's newest ingest and whether it failed.
      await services.redis.hset(services.keys.documentJobs, documentJobField(tenant, source), `${ctx.job.lane}:${ctx.job.id}`);
      const input: DocumentInput =
        path !== undefined
          ? await describeFile(path, source, config.chunking, config.extraction, payload.confined === true ? { roots: config.allowedRoots } : undefined)
          : describeText(payload.text ?? '', source, config.chunking, config.extraction);

      const current = await documents.findUpToDate(tenant, source, input.contentHash, primary.space);
      if (current !== undefined) {
        await ctx.progress({ stage: 'done', unchanged: true, chunksTotal: current.chunks, chunksEmbedded: 0, pagesParsed: current.pages, pagesTotal: current.pages });
        return { kind: 'unchanged', result: { documentId: current.documentId, source, pages: current.pages, chunks: current.chunks, embedded: 0, unchanged: current.chunks, removed: 0 } };
      }

      const report = throttled(ctx);
      report({ stage: 'extracting', pagesParsed: 0, pagesTotal: null }, true);
      const extracted = await extractDocument(services.extractor, input, config.chunking, config.extraction, {
        signal: ctx.signal,
        onProgress: (progress) => report({ ...progress }, progress.stage === 'chunking'),
      });

      const stage = await documents.stage({
        source,
        ...(tenant !== undefined && { tenant }),
        metadata: payload.metadata ?? {},
        contentHash: input.contentHash,
        pages: extracted.pages,
        chunks: extracted.chunks,
        primary: primary.space,
        jobId: ctx.job.id,
      });
      ctx.logger.info(
        { documentId: stage.documentId, generation: stage.generation, pages: extracted.pages, chunks: stage.total, toEmbed: stage.toEmbed.length },
        'document staged',
      );
      if (stage.toEmbed.length > 0) {
        const progressKey = services.keys.ingestProgress(ctx.job.id);
        await services.redis
          .multi()
          .hset(progressKey, { total: stage.toEmbed.length, pages: extracted.pages, embedded: 0 })
          .expire(progressKey, 24 * 3600)
          .exec();
        await ctx.progress({ stage: 'embedding', chunksTotal: stage.toEmbed.length, chunksEmbedded: 0, pagesParsed: extracted.pages, pagesTotal: extracted.pages });
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
    return finalise(services, source, staged.documentId, staged.generation, embedded, ctx);
  });
}

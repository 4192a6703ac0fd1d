import { batchEmbed } from '@lanes/contracts';
import { implement, type ParentJob, type TaskDefinition } from '@lanes/worker-core';
import type { IngestProgress } from '../corpus/ingest-progress.ts';
import type { EmbeddingProvider } from '../embed/provider.ts';
import { embedInto } from '../migration/embed-into.ts';
import type { SpaceHandle } from '../migration/live-spaces.ts';
import type { VectorSearch } from '../search/search-service.ts';
import type { Database } from '../store/database.ts';
import type { DocumentStore } from '../store/documents.ts';
import type { IndexPolicy } from '../store/embedding-spaces.ts';
import { indexWhenLarge } from '../store/index-builder.ts';

export interface BatchEmbedDeps {
  readonly documents: Pick<DocumentStore, 'loadChunks' | 'existingVectors' | 'writeVectors'>;
  /**
   * The embedder and the spaces its vectors go to (the live one, its fallback), models built on
   * the first batch; and the shadow space (a migration's target, or the space kept for rollback).
   */
  readonly vectors: () => Promise<
    Pick<VectorSearch, 'embedder' | 'primary' | 'fallback'> & { readonly shadow: SpaceHandle | undefined }
  >;
  readonly progress: Pick<IngestProgress, 'add'>;
  /** A small space gets its HNSW index once its vectors reach `index.minRows`. */
  readonly db: Database;
  readonly index: IndexPolicy;
}

/**
 * Adds this child's work to its parent ingest's "chunks embedded" progress. Best effort: a
 * progress write must never fail the embedding it reports on.
 */
async function reportToParent(progress: BatchEmbedDeps['progress'], parent: ParentJob, done: number): Promise<void> {
  const tally = await progress.add(parent.id, done);
  await parent.progress({
    stage: 'embedding',
    chunksEmbedded: tally.embedded,
    chunksTotal: tally.total,
    pagesParsed: tally.pages,
    pagesTotal: tally.pages,
  });
}

/**
 * `batch-embed`: loads the chunks, skips texts already stored (retries are cheap), embeds the
 * rest (cache → rate budget → provider, failing over to the fallback model), and writes the
 * vectors in bulk into the space of the model that produced them. While a migration runs (or
 * an old space is kept for rollback) the texts go into that shadow space too, with its model.
 */
export function createBatchEmbedTask(deps: BatchEmbedDeps): TaskDefinition<typeof batchEmbed> {
  return implement(batchEmbed, async (payload, ctx) => {
    const { documents, progress } = deps;
    const { embedder, primary, fallback, shadow } = await deps.vectors();
    const rows = await documents.loadChunks(payload.documentId, payload.chunkIds);
    const distinct = new Map(rows.map((row) => [row.hash, row]));
    // Best effort: a shadow model that fails (a migration target with a bad key) must not fail
    // ingest into the live space; the migration's sweep embeds what is missing, or fails itself.
    if (shadow !== undefined) {
      await embedInto(shadow, rows, documents, ctx.signal).catch((error: unknown) =>
        ctx.logger.warn(
          { err: { message: String(error) }, space: shadow.space.tableName },
          'could not embed into the shadow space: left to the migration',
        ),
      );
    }
    const stored = await documents.existingVectors(primary.space, [...distinct.keys()]);
    const todo = [...distinct.values()].filter((row) => !stored.has(row.hash));
    const base = {
      documentId: payload.documentId,
      generation: payload.generation ?? null,
      chunks: distinct.size,
      model: primary.provider.model,
    };
    if (todo.length === 0) {
      if (ctx.parent !== undefined) await reportToParent(progress, ctx.parent, distinct.size).catch(() => undefined);
      return { ...base, embedded: 0, cacheHits: 0, tokens: 0, fallbackEmbedded: 0 };
    }

    const outcome = await embedder.embed(
      todo.map((row) => ({ hash: row.hash, text: row.text, tokens: row.tokens })),
      ctx.signal,
    );
    const bySpace = new Map<EmbeddingProvider, Array<readonly [string, Float32Array]>>();
    for (const [hash, result] of outcome.vectors) {
      const entries = bySpace.get(result.provider) ?? [];
      entries.push([hash, result.vector]);
      bySpace.set(result.provider, entries);
    }
    let fallbackEmbedded = 0;
    for (const [provider, entries] of bySpace) {
      const space =
        provider === primary.provider
          ? primary.space
          : fallback !== undefined && provider === fallback.provider
            ? fallback.space
            : undefined;
      if (space === undefined) continue;
      // A primary vector retires any fallback-space copy of the same text.
      await documents.writeVectors(
        space,
        entries,
        space === primary.space && fallback !== undefined ? [fallback.space] : [],
      );
      if (space !== primary.space) fallbackEmbedded += entries.length;
      const built = await indexWhenLarge(deps.db, space, deps.index, ctx.signal);
      if (built !== undefined && !built.skipped)
        ctx.logger.info({ table: space.tableName, ...built }, 'the space reached its index size: HNSW index built');
    }
    if (ctx.parent !== undefined) {
      await reportToParent(progress, ctx.parent, distinct.size).catch((error: unknown) =>
        ctx.logger.debug({ err: { message: String(error) } }, 'could not report progress to the parent ingest'),
      );
    }
    return {
      ...base,
      embedded: outcome.vectors.size,
      cacheHits: outcome.cacheHits,
      tokens: outcome.tokens,
      model:
        fallbackEmbedded === outcome.vectors.size && fallback !== undefined
          ? fallback.provider.model
          : primary.provider.model,
      fallbackEmbedded,
    };
  });
}

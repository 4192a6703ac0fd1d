import { batchEmbed } from '@lanes/contracts';
import { implement, type ParentJob, type TaskDefinition } from '@lanes/worker-core';
import type { EmbeddingProvider } from '../embed/provider.ts';
import { embedInto } from '../migration/embed-into.ts';
import type { RagServices } from '../services.ts';

/**
 * Adds this child's work to its parent ingest's "chunks embedded" progress. Best effort: a
 * progress write must never fail the embedding it reports on.
 */
async function reportToParent(services: RagServices, parent: ParentJob, done: number): Promise<void> {
  const key = services.keys.ingestProgress(parent.id);
  const [embedded, total, pages] = await services.redis
    .multi()
    .hincrby(key, 'embedded', done)
    .hget(key, 'total')
    .hget(key, 'pages')
    .exec()
    .then((replies) => (replies ?? []).map(([, value]) => Number(value ?? 0)));
  await parent.progress({
    stage: 'embedding',
    chunksEmbedded: Math.min(embedded ?? 0, total ?? 0),
    chunksTotal: total ?? 0,
    pagesParsed: pages ?? 0,
    pagesTotal: pages ?? 0,
  });
}

/**
 * `batch-embed`: loads the chunks, skips texts already stored (retries are cheap), embeds the
 * rest (cache → rate budget → provider, failing over to the fallback model), and writes the
 * vectors in bulk into the space of the model that produced them. While a migration runs (or
 * an old space is kept for rollback) the texts go into that shadow space too, with its model.
 */
export function createBatchEmbedTask(services: RagServices): TaskDefinition<typeof batchEmbed> {
  return implement(batchEmbed, async (payload, ctx) => {
    const { documents } = services;
    const { live: primary, fallback, shadow } = await services.spaces.current();
    const rows = await documents.loadChunks(payload.documentId, payload.chunkIds);
    const distinct = new Map(rows.map((row) => [row.hash, row]));
    // Best effort: a shadow model that fails (a migration target with a bad key) must not fail
    // ingest into the live space; the migration's sweep embeds what is missing, or fails itself.
    if (shadow !== undefined) {
      await embedInto(shadow, rows, documents, ctx.signal).catch((error: unknown) =>
        ctx.logger.warn({ err: { message: String(error) }, space: shadow.space.tableName }, 'could not embed into the shadow space: left to the migration'),
      );
    }
    const stored = await documents.existingVectors(primary.space, [...distinct.keys()]);
    const todo = [...distinct.values()].filter((row) => !stored.has(row.hash));
    const base = { documentId: payload.documentId, generation: payload.generation ?? null, chunks: distinct.size, model: primary.provider.model };
    if (todo.length === 0) {
      if (ctx.parent !== undefined) await reportToParent(services, ctx.parent, distinct.size).catch(() => undefined);
      return { ...base, embedded: 0, cacheHits: 0, tokens: 0, fallbackEmbedded: 0 };
    }

    const outcome = await primary.embedder.embed(
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
      if (provider === primary.provider) {
        // A primary vector retires any fallback-space copy of the same text.
        await documents.writeVectors(primary.space, entries, fallback === undefined ? [] : [fallback.space]);
      } else if (fallback !== undefined && provider === fallback.provider) {
        await documents.writeVectors(fallback.space, entries);
        fallbackEmbedded += entries.length;
      }
    }
    if (ctx.parent !== undefined) {
      await reportToParent(services, ctx.parent, distinct.size).catch((error: unknown) =>
        ctx.logger.debug({ err: { message: String(error) } }, 'could not report progress to the parent ingest'),
      );
    }
    return {
      ...base,
      embedded: outcome.vectors.size,
      cacheHits: outcome.cacheHits,
      tokens: outcome.tokens,
      model: fallbackEmbedded === outcome.vectors.size && fallback !== undefined ? fallback.provider.model : primary.provider.model,
      fallbackEmbedded,
    };
  });
}

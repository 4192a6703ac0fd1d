import { migrateEmbeddingsBatch } from '@lanes/contracts';
import { implement, type TaskDefinition } from '@lanes/worker-core';
import { embedInto } from '../migration/embed-into.ts';
import { endsTheMigration, failMigration } from '../migration/pipeline.ts';
import type { RagServices } from '../services.ts';
import { chunksById, coverageOf } from '../store/space-coverage.ts';

/**
 * `migrate-embeddings-batch` (low lane): one batch of a migration's re-embedding, through the
 * target space's embedder (cache, shared rate budget, cost accounting). Idempotent: texts
 * already in the space are skipped, so a resumed migration redoes nothing.
 */
export function createMigrateEmbeddingsBatchTask(services: RagServices): TaskDefinition<typeof migrateEmbeddingsBatch> {
  return implement(migrateEmbeddingsBatch, async (payload, ctx) => {
    const target = await services.spaces.handle(payload.spaceId);
    const chunks = await chunksById(services.db, payload.chunkIds);
    const embedded = await embedInto(target, chunks, services.documents, ctx.signal).catch(async (error: unknown) => {
      // The coordinator fails along with this job; the migration's reason should be this one's.
      const migration = { id: payload.migrationId, toSpaceId: payload.spaceId };
      if (endsTheMigration(error, ctx, migrateEmbeddingsBatch.retry.attempts)) await failMigration({ store: services.migrations, corpus: services.corpus }, migration, error).catch(() => undefined);
      throw error;
    });
    if (ctx.parent !== undefined) {
      // Best effort: the coordinator's progress is what the dashboard's jobs view shows.
      await coverageOf(services.db, target.space)
        .then((coverage) => ctx.parent?.progress({ stage: 'embedding', ...coverage }))
        .catch(() => undefined);
    }
    return { spaceId: payload.spaceId, chunks: new Set(chunks.map((chunk) => chunk.hash)).size, embedded };
  });
}

import { migrateEmbeddingsBatch } from '@lanes/contracts';
import { implement, type TaskDefinition } from '@lanes/worker-core';
import { embedInto } from '../migration/embed-into.ts';
import type { LiveSpaces } from '../migration/live-spaces.ts';
import { endsTheMigration, failMigration, type MigrationDeps } from '../migration/pipeline.ts';
import { chunksById, coverageOf } from '../store/space-coverage.ts';

export interface MigrateEmbeddingsBatchDeps extends Pick<MigrationDeps, 'db' | 'store' | 'corpus'> {
  readonly documents: Pick<MigrationDeps['documents'], 'existingVectors' | 'writeVectors'>;
  readonly spaces: Pick<LiveSpaces, 'space' | 'handle'>;
}

/**
 * `migrate-embeddings-batch` (low lane): one batch of a migration's re-embedding, through the
 * target space's embedder (cache, shared rate budget, cost accounting). Idempotent: texts
 * already in the space are skipped, so a resumed migration redoes nothing.
 */
export function createMigrateEmbeddingsBatchTask(
  deps: MigrateEmbeddingsBatchDeps,
): TaskDefinition<typeof migrateEmbeddingsBatch> {
  return implement(migrateEmbeddingsBatch, async (payload, ctx) => {
    const target = await deps.spaces.handle(await deps.spaces.space(payload.spaceId));
    const chunks = await chunksById(deps.db, payload.chunkIds);
    const embedded = await embedInto(target, chunks, deps.documents, ctx.signal).catch(async (error: unknown) => {
      // The coordinator fails along with this job; the migration's reason should be this one's.
      const migration = { id: payload.migrationId, toSpaceId: payload.spaceId };
      if (endsTheMigration(error, ctx, migrateEmbeddingsBatch.retry.attempts))
        await failMigration(deps, migration, error).catch(() => undefined);
      throw error;
    });
    if (ctx.parent !== undefined) {
      // Best effort: the coordinator's progress is what the dashboard's jobs view shows.
      await coverageOf(deps.db, target.space)
        .then((coverage) => ctx.parent?.progress({ stage: 'embedding', ...coverage }))
        .catch(() => undefined);
    }
    return { spaceId: payload.spaceId, chunks: new Set(chunks.map((chunk) => chunk.hash)).size, embedded };
  });
}

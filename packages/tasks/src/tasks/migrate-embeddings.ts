import { migrateEmbeddings, migrateEmbeddingsBatch, PermanentError, type MigrateEmbeddingsBatchResult, type MigrateEmbeddingsResult } from '@lanes/contracts';
import { child, implement, type TaskDefinition } from '@lanes/worker-core';
import { describeSpace, endsTheMigration, evaluateBoth, failMigration, inBatches, sweepAndCutOver, type MigrationDeps } from '../migration/pipeline.ts';
import type { RagServices } from '../services.ts';
import { RUNNING_STATES, type MigrationRecord } from '../store/embedding-migrations.ts';
import { rebuildHnswIndex } from '../store/index-builder.ts';
import { chunksMissingIn, coverageOf } from '../store/space-coverage.ts';

function resultOf(migration: MigrationRecord, from: string, to: string, embedded: number, swept: number): MigrateEmbeddingsResult {
  return {
    migrationId: migration.id,
    state: migration.state === 'refused' ? 'refused' : 'switched',
    from,
    to,
    embedded,
    swept,
    fromMrr: migration.evalReport?.fromMrr ?? null,
    toMrr: migration.evalReport?.toMrr ?? null,
    reason: migration.reason,
  };
}

/**
 * `migrate-embeddings` (low lane), the coordinator of `lanes migrate-embeddings`:
 * 1. fans out a `migrate-embeddings-batch` child per batch of texts missing in the target;
 * 2. resumed when they are done: sweeps what ingests added meanwhile, builds the target's
 *    HNSW index, evaluates both spaces on the eval file, and switches search to the target
 *    only when hybrid MRR@10 does not drop (or with --force).
 * Every step is idempotent and its state is in PostgreSQL, so a killed worker's migration
 * continues where it was on another worker.
 */
export function createMigrateEmbeddingsTask(services: RagServices): TaskDefinition<typeof migrateEmbeddings> {
  const deps: MigrationDeps = {
    db: services.db,
    documents: services.documents,
    store: services.migrations,
    corpus: services.corpus,
    search: services.search,
    logger: services.logger,
    batchSize: services.config.ingest.chunksPerChild,
  };
  return implement(migrateEmbeddings, async ({ migrationId }, ctx) => {
    const { store, db } = deps;
    const migration = await store.find(migrationId);
    if (migration === undefined) throw new PermanentError(`embedding migration ${migrationId} does not exist`, { migrationId });
    const from = await services.spaces.handle(migration.fromSpaceId);
    const to = await services.spaces.handle(migration.toSpaceId);
    const names = [describeSpace(from.space), describeSpace(to.space)] as const;
    const embedded = ((ctx.childResults ?? []) as MigrateEmbeddingsBatchResult[]).reduce((sum, result) => sum + result.embedded, 0);
    if (!(RUNNING_STATES as readonly string[]).includes(migration.state)) return resultOf(migration, ...names, embedded, 0);
    if (ctx.childResults === undefined) {
      const missing = await chunksMissingIn(db, to.space);
      await ctx.progress({ stage: 'embedding', ...(await coverageOf(db, to.space)) });
      if (missing.length > 0) {
        // Keyed by their first chunk: a re-run that finds the same work reuses the same children.
        const batches = inBatches(missing, deps.batchSize);
        return ctx.awaitChildren(
          batches.map((batch) => child(migrateEmbeddingsBatch, { migrationId, spaceId: to.space.id, chunkIds: batch.map((ref) => ref.id) }, `b${batch[0]!.id}-${batch.length}`)),
        );
      }
    }
    try {
      await store.update(migrationId, { state: 'indexing' });
      await ctx.progress({ stage: 'indexing', ...(await coverageOf(db, to.space)) });
      const index = await rebuildHnswIndex(db, to.space, services.config.index, { signal: ctx.signal });
      ctx.logger.info({ migrationId, table: to.space.tableName, rows: index.rows, durationMs: index.durationMs }, 'migration: target index built');

      let decided = migration;
      if (migration.evalCases !== null) {
        await store.update(migrationId, { state: 'evaluating' });
        await ctx.progress({ stage: 'evaluating', queries: migration.evalCases.length });
        const report = await evaluateBoth(deps, migration.evalCases, from, to);
        await store.update(migrationId, { evalReport: report });
        decided = { ...decided, evalReport: report };
        if (report.toMrr < report.fromMrr && !migration.force) {
          const reason = `hybrid MRR@10 would drop from ${report.fromMrr} to ${report.toMrr}: search stays on ${names[0]} (--force switches anyway)`;
          await store.update(migrationId, { state: 'refused', reason });
          await ctx.progress({ stage: 'refused', reason });
          ctx.logger.warn({ migrationId, fromMrr: report.fromMrr, toMrr: report.toMrr }, 'migration: cut-over refused');
          return resultOf({ ...decided, state: 'refused', reason }, ...names, embedded, 0);
        }
      } else if (!migration.force) {
        const reason = 'no eval file to compare the spaces with, and no --force';
        await store.update(migrationId, { state: 'refused', reason });
        return resultOf({ ...decided, state: 'refused', reason }, ...names, embedded, 0);
      }
      const swept = await sweepAndCutOver(deps, migration, from, to, ctx.signal);
      await ctx.progress({ stage: 'switched', ...(await coverageOf(db, to.space)) });
      ctx.logger.info({ migrationId, from: names[0], to: names[1], swept }, 'migration: search switched to the new space');
      return resultOf({ ...decided, state: 'switched', reason: null }, ...names, embedded, swept);
    } catch (error) {
      // The last attempt's failure is the migration's: no cut-over, the shadow space stays.
      if (endsTheMigration(error, ctx, migrateEmbeddings.retry.attempts)) await failMigration(deps, migration, error).catch(() => undefined);
      throw error;
    }
  });
}

import {
  migrateEmbeddings,
  migrateEmbeddingsBatch,
  PermanentError,
  type MigrateEmbeddingsResult,
} from '@lanes/contracts';
import { child, implement, type TaskDefinition } from '@lanes/worker-core';
import type { LiveSpaces, SpaceHandle } from '../migration/live-spaces.ts';
import {
  describeSpace,
  endsTheMigration,
  evaluateBoth,
  failMigration,
  inBatches,
  sweepAndCutOver,
  type MigrationDeps,
} from '../migration/pipeline.ts';
import { RUNNING_STATES, type MigrationEval, type MigrationRecord } from '../store/embedding-migrations.ts';
import type { IndexPolicy } from '../store/embedding-spaces.ts';
import { rebuildHnswIndex } from '../store/index-builder.ts';
import { chunksMissingIn, coverageOf } from '../store/space-coverage.ts';

export interface MigrateEmbeddingsDeps extends MigrationDeps {
  /** The migration's spaces and their models. */
  readonly spaces: Pick<LiveSpaces, 'space' | 'handle'>;
  /** The target's HNSW parameters (LANES_HNSW_*). */
  readonly index: IndexPolicy;
}

function resultOf(
  migration: MigrationRecord,
  from: string,
  to: string,
  embedded: number,
  swept: number,
): MigrateEmbeddingsResult {
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

/** Why the cut-over may not happen: hybrid MRR@10 would drop, or nothing measured it; none with --force. */
function refusalOf(report: MigrationEval | null, force: boolean, from: string): string | undefined {
  if (force) return undefined;
  if (report === null) return 'no eval file to compare the spaces with, and no --force';
  return report.toMrr < report.fromMrr
    ? `hybrid MRR@10 would drop from ${report.fromMrr} to ${report.toMrr}: search stays on ${from} (--force switches anyway)`
    : undefined;
}

const isRunning = (migration: MigrationRecord): boolean =>
  (RUNNING_STATES as readonly string[]).includes(migration.state);

/**
 * `migrate-embeddings` (low lane), the coordinator of `lanes migrate-embeddings`, in steps:
 * `plan` (the batches of texts missing in the target), `embed` (a `migrate-embeddings-batch`
 * child per batch), `index` (the target's HNSW index), `evaluate` (both spaces on the eval
 * file), then the cut-over: sweep what ingests added meanwhile and switch search to the target
 * only when hybrid MRR@10 does not drop (or with --force). Steps are memoised in the job and
 * their effects are idempotent with the state in PostgreSQL, so a killed worker's migration
 * continues where it was on another worker.
 */
export function createMigrateEmbeddingsTask(deps: MigrateEmbeddingsDeps): TaskDefinition<typeof migrateEmbeddings> {
  const open = async (spaceId: number): Promise<SpaceHandle> => deps.spaces.handle(await deps.spaces.space(spaceId));
  return implement(migrateEmbeddings, async ({ migrationId }, ctx) => {
    const { store, db } = deps;
    const migration = await store.find(migrationId);
    if (migration === undefined)
      throw new PermanentError(`embedding migration ${migrationId} does not exist`, { migrationId });
    const [from, to] = await Promise.all([open(migration.fromSpaceId), open(migration.toSpaceId)]);
    const names = [describeSpace(from.space), describeSpace(to.space)] as const;

    const batches = await ctx.step('plan', async () => {
      if (!isRunning(migration)) return [];
      await ctx.progress({ stage: 'embedding', ...(await coverageOf(db, to.space)) });
      return inBatches(await chunksMissingIn(db, to.space), deps.batchSize).map((batch) => batch.map((ref) => ref.id));
    });
    // Keyed by their first chunk and size, as planned: every entry spawns the same children.
    const results = await ctx.awaitChildren(
      batches.map((chunkIds) =>
        child(
          migrateEmbeddingsBatch,
          { migrationId, spaceId: to.space.id, chunkIds },
          `b${chunkIds[0]}-${chunkIds.length}`,
        ),
      ),
      'embed',
    );
    const embedded = results.reduce((sum, result) => sum + result.embedded, 0);
    // Decided already (an earlier attempt got that far), or ended by a failed batch.
    if (!isRunning(migration)) return resultOf(migration, ...names, embedded, 0);

    try {
      await ctx.step('index', async () => {
        await store.update(migrationId, { state: 'indexing' });
        await ctx.progress({ stage: 'indexing', ...(await coverageOf(db, to.space)) });
        const index = await rebuildHnswIndex(db, to.space, deps.index, { signal: ctx.signal });
        ctx.logger.info(
          { migrationId, table: to.space.tableName, rows: index.rows, durationMs: index.durationMs },
          'migration: target index built',
        );
        return { rows: index.rows };
      });

      const cases = migration.evalCases;
      const report = await ctx.step('evaluate', async (): Promise<MigrationEval | null> => {
        if (cases === null) return null;
        await store.update(migrationId, { state: 'evaluating' });
        await ctx.progress({ stage: 'evaluating', queries: cases.length });
        const measured = await evaluateBoth(deps, cases, from, to);
        await store.update(migrationId, { evalReport: measured });
        return measured;
      });
      const decided = { ...migration, evalReport: report };
      const refusal = refusalOf(report, migration.force, names[0]);
      if (refusal !== undefined) {
        await store.update(migrationId, { state: 'refused', reason: refusal });
        await ctx.progress({ stage: 'refused', reason: refusal });
        ctx.logger.warn({ migrationId, fromMrr: report?.fromMrr, toMrr: report?.toMrr }, 'migration: cut-over refused');
        return resultOf({ ...decided, state: 'refused', reason: refusal }, ...names, embedded, 0);
      }
      const swept = await sweepAndCutOver(deps, migration, from, to, ctx.signal);
      await ctx.progress({ stage: 'switched', ...(await coverageOf(db, to.space)) });
      ctx.logger.info(
        { migrationId, from: names[0], to: names[1], swept },
        'migration: search switched to the new space',
      );
      return resultOf({ ...decided, state: 'switched', reason: null }, ...names, embedded, swept);
    } catch (error) {
      // The last attempt's failure is the migration's: no cut-over, the shadow space stays.
      if (endsTheMigration(error, ctx, migrateEmbeddings.retry.attempts))
        await failMigration(deps, migration, error).catch(() => undefined);
      throw error;
    }
  });
}

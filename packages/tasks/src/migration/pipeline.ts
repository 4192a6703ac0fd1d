import { CutOverOutrunError, PermanentError } from '@lanes/contracts';
import type { Logger, TaskContext } from '@lanes/worker-core';
import { evaluate, type EvalCase } from '../search/evaluation.ts';
import type { SearchService } from '../search/search-service.ts';
import type { CorpusVersion } from '../search/corpus-version.ts';
import type { Database } from '../store/database.ts';
import { gcLockKey, type ChunkRef, type DocumentStore } from '../store/documents.ts';
import {
  RUNNING_STATES,
  type EmbeddingMigrationStore,
  type MigrationEval,
  type MigrationRecord,
} from '../store/embedding-migrations.ts';
import type { EmbeddingSpace } from '../store/embedding-spaces.ts';
import { chunksById, chunksMissingIn } from '../store/space-coverage.ts';
import { embedInto } from './embed-into.ts';
import type { SpaceHandle } from './live-spaces.ts';

/** What the migration steps use. */
export interface MigrationDeps {
  readonly db: Database;
  readonly documents: DocumentStore;
  readonly store: EmbeddingMigrationStore;
  readonly corpus: CorpusVersion;
  readonly search: SearchService;
  readonly logger: Logger;
  /** Chunks per embedding job (LANES_EMBED_CHUNKS_PER_JOB), also the sweep's batch. */
  readonly batchSize: number;
}

/** Sweeps and cut-over attempts before the coordinator gives up for this attempt (ingests keep outrunning it). */
const CUT_OVER_ATTEMPTS = 10;

export function describeSpace(space: Pick<EmbeddingSpace, 'provider' | 'model' | 'dimensions'>): string {
  return `${space.provider}/${space.model}/${space.dimensions}`;
}

export function inBatches<T>(items: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let start = 0; start < items.length; start += size) batches.push(items.slice(start, start + size));
  return batches;
}

/** A failure no retry of this job will undo: it ends the migration (as failed). */
export function endsTheMigration(error: unknown, ctx: Pick<TaskContext, 'job'>, attempts: number): boolean {
  return error instanceof PermanentError || ctx.job.attempt >= attempts;
}

/** Records why the migration failed (the first job to see it), so the status names the real cause. */
export async function failMigration(
  deps: Pick<MigrationDeps, 'store' | 'corpus'>,
  migration: { id: number; toSpaceId: number },
  error: unknown,
): Promise<void> {
  const current = await deps.store.find(migration.id);
  if (current === undefined || !(RUNNING_STATES as readonly string[]).includes(current.state)) return;
  await deps.store.fail(migration, error instanceof Error ? error.message : String(error));
  await deps.corpus.bump();
}

/** Embeds, in this process, whatever still lacks a vector in the target (ingests that arrived during the fan-out). */
export async function sweep(deps: MigrationDeps, target: SpaceHandle, signal: AbortSignal): Promise<number> {
  let embedded = 0;
  for (;;) {
    const missing: ChunkRef[] = await chunksMissingIn(deps.db, target.space);
    if (missing.length === 0) return embedded;
    for (const batch of inBatches(missing, deps.batchSize)) {
      signal.throwIfAborted();
      embedded += await embedInto(
        target,
        await chunksById(
          deps.db,
          batch.map((ref) => ref.id),
        ),
        deps.documents,
        signal,
      );
    }
  }
}

/** Hybrid MRR@10 decides; vector-only is reported beside it. */
export async function evaluateBoth(
  deps: MigrationDeps,
  cases: readonly EvalCase[],
  from: SpaceHandle,
  to: SpaceHandle,
): Promise<MigrationEval> {
  const run = (space: SpaceHandle) =>
    evaluate(
      cases,
      async (query, k, mode) => (await deps.search.search(query, k, { mode, space, record: false })).results,
      { k: 10, modes: ['hybrid', 'vector'] },
    );
  const fromReport = await run(from);
  const toReport = await run(to);
  return {
    from: fromReport,
    to: toReport,
    fromMrr: fromReport.modes.hybrid?.['mrr@10'] ?? 0,
    toMrr: toReport.modes.hybrid?.['mrr@10'] ?? 0,
  };
}

/**
 * Makes the target live, atomically and only when complete: under the lock that staging takes
 * shared, no chunk row (live or staged) may lack a target vector. The previous space becomes
 * the shadow, kept in step for a rollback. False when ingests added texts since the sweep.
 */
async function tryCutOver(
  deps: MigrationDeps,
  migration: MigrationRecord,
  from: SpaceHandle,
  to: SpaceHandle,
): Promise<boolean> {
  const switched = await deps.db.transaction(
    async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [gcLockKey(deps.db)]);
      if ((await chunksMissingIn(deps.db, to.space, client)).length > 0) return false;
      await deps.store.writeSettings(client, { liveSpaceId: to.space.id, shadowSpaceId: from.space.id });
      await deps.store.update(migration.id, { state: 'switched', reason: null }, client);
      return true;
    },
    { vectorTypes: false },
  );
  if (switched) await deps.corpus.bump();
  return switched;
}

/** Sweep, cut over; again while ingests outrun it. Returns the texts the sweeps embedded. */
export async function sweepAndCutOver(
  deps: MigrationDeps,
  migration: MigrationRecord,
  from: SpaceHandle,
  to: SpaceHandle,
  signal: AbortSignal,
): Promise<number> {
  let swept = 0;
  for (let attempt = 1; attempt <= CUT_OVER_ATTEMPTS; attempt++) {
    swept += await sweep(deps, to, signal);
    if (await tryCutOver(deps, migration, from, to)) return swept;
    deps.logger.info(
      { migrationId: migration.id, attempt },
      'texts arrived after the sweep: sweeping again before the cut-over',
    );
  }
  throw new CutOverOutrunError(CUT_OVER_ATTEMPTS);
}

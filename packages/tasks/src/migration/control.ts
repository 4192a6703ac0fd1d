import { InvalidMigrationError, migrateEmbeddings, type JobRef } from '@lanes/contracts';
import type { LanesClient } from '@lanes/client';
import type { EvalCase } from '../search/evaluation.ts';
import type { CorpusVersion } from '../search/corpus-version.ts';
import type { Database } from '../store/database.ts';
import { gcLockKey } from '../store/documents.ts';
import {
  RUNNING_STATES,
  type EmbeddingMigrationStore,
  type MigrationRecord,
  type MigrationState,
} from '../store/embedding-migrations.ts';
import {
  ensureSpace,
  listSpaces,
  type EmbeddingSpace,
  type IndexPolicy,
  type SpaceIdentity,
} from '../store/embedding-spaces.ts';
import { chunksMissingIn, coverageOf, type Coverage } from '../store/space-coverage.ts';
import type { LiveSpaces, SpacesInUse } from './live-spaces.ts';
import { describeSpace } from './pipeline.ts';

export interface SpaceView {
  readonly id: number;
  /** `provider/model/dimensions`, as `--to` takes it. */
  readonly name: string;
  readonly provider: string;
  readonly model: string;
  readonly dimensions: number;
  readonly table: string;
}

/** The `--status` / `GET /api/embedding-migration` shape. */
export interface MigrationStatus {
  readonly live: SpaceView;
  /** Also written on every embed: the running migration's target, or the space kept for rollback. */
  readonly shadow: SpaceView | null;
  readonly migration: {
    readonly id: number;
    readonly state: MigrationState;
    readonly running: boolean;
    /** Spaces by name; a dropped one as `#id`. */
    readonly from: string;
    readonly to: string;
    readonly force: boolean;
    /** Distinct chunk texts, and how many have a vector in the target (null once the target is dropped). */
    readonly progress: Coverage | null;
    readonly eval: { readonly fromMrr: number; readonly toMrr: number; readonly queries: number } | null;
    readonly reason: string | null;
    readonly jobId: string | null;
    readonly createdAt: string;
    readonly updatedAt: string;
    readonly finishedAt: string | null;
  } | null;
}

export interface EmbeddingMigrationsOptions {
  readonly db: Database;
  readonly store: EmbeddingMigrationStore;
  readonly spaces: Pick<LiveSpaces, 'read'>;
  readonly corpus: CorpusVersion;
  readonly client: LanesClient;
  readonly index: IndexPolicy;
}

function view(space: EmbeddingSpace): SpaceView {
  return {
    id: space.id,
    name: describeSpace(space),
    provider: space.provider,
    model: space.model,
    dimensions: space.dimensions,
    table: space.tableName,
  };
}

const isRunning = (state: MigrationState): boolean => (RUNNING_STATES as readonly string[]).includes(state);

/** PostgreSQL's unique_violation: the one-running-migration index refused a second. */
const UNIQUE_VIOLATION = '23505';

/**
 * Starting, watching, rolling back and dropping embedding migrations: what the CLI and the
 * dashboard call. Every request is checked before anything is written or enqueued.
 */
export class EmbeddingMigrations {
  readonly #options: EmbeddingMigrationsOptions;

  constructor(options: EmbeddingMigrationsOptions) {
    this.#options = options;
  }

  /** Creates the target space, records the migration, makes the target the shadow space and enqueues the coordinator. */
  async start(
    target: SpaceIdentity,
    options: { evalCases: readonly EvalCase[] | null; force: boolean },
  ): Promise<{ migration: MigrationRecord; job: JobRef }> {
    const { db, store, corpus, client } = this.#options;
    const { live } = await this.#inUse();
    if (describeSpace(live) === describeSpace(target))
      throw new InvalidMigrationError(`--to: ${describeSpace(target)} is already the live embedding space`, {
        field: 'to',
      });
    await this.#settleAbandoned();
    const space = await ensureSpace(db, target, this.#options.index);
    let migration: MigrationRecord;
    try {
      migration = await db.transaction(
        async (tx) => {
          const created = await store.insert(tx, {
            fromSpaceId: live.id,
            toSpaceId: space.id,
            force: options.force,
            evalCases: options.evalCases,
          });
          await store.writeSettings(tx, { liveSpaceId: live.id, shadowSpaceId: space.id });
          return created;
        },
        { vectorTypes: false },
      );
    } catch (error) {
      if ((error as { code?: unknown }).code === UNIQUE_VIOLATION)
        throw new InvalidMigrationError(
          'an embedding migration is already running (lanes migrate-embeddings --status)',
        );
      throw error;
    }
    // Every process now writes new vectors into the target too.
    await corpus.bump();
    try {
      const job = await client.enqueue(
        migrateEmbeddings,
        { migrationId: migration.id },
        { idempotencyKey: `migrate-embeddings-${db.schema}-${migration.id}` },
      );
      await store.update(migration.id, { jobId: job.id });
      return { migration: { ...migration, jobId: job.id }, job: { id: job.id, task: job.task, queue: job.queue } };
    } catch (error) {
      await store
        .fail(migration, `could not enqueue the migration: ${(error as Error).message}`)
        .catch(() => undefined);
      await corpus.bump().catch(() => undefined);
      throw error;
    }
  }

  async status(): Promise<MigrationStatus> {
    const { db, store } = this.#options;
    await this.#settleAbandoned();
    const { live, shadow } = await this.#inUse();
    const latest = await store.find();
    if (latest === undefined)
      return { live: view(live), shadow: shadow === undefined ? null : view(shadow), migration: null };
    const known = new Map((await listSpaces(db)).map((space) => [space.id, space]));
    const name = (id: number): string => {
      const space = known.get(id);
      return space === undefined ? `#${id}` : describeSpace(space);
    };
    const target = known.get(latest.toSpaceId);
    const report = latest.evalReport;
    return {
      live: view(live),
      shadow: shadow === undefined ? null : view(shadow),
      migration: {
        id: latest.id,
        state: latest.state,
        running: isRunning(latest.state),
        from: name(latest.fromSpaceId),
        to: name(latest.toSpaceId),
        force: latest.force,
        progress: target === undefined ? null : await coverageOf(db, target),
        eval: report === null ? null : { fromMrr: report.fromMrr, toMrr: report.toMrr, queries: report.from.queries },
        reason: latest.reason,
        jobId: latest.jobId,
        createdAt: latest.createdAt.toISOString(),
        updatedAt: latest.updatedAt.toISOString(),
        finishedAt: latest.finishedAt?.toISOString() ?? null,
      },
    };
  }

  /** Switches search back to the space the last migration left (kept in step since). */
  async rollback(): Promise<MigrationStatus> {
    const { db, store, corpus } = this.#options;
    const latest = await store.find();
    if (latest?.state !== 'switched')
      throw new InvalidMigrationError(
        `--rollback: the last migration ${latest === undefined ? 'does not exist' : `is ${latest.state}, not switched`}`,
      );
    await db.transaction(
      async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [gcLockKey(db)]);
        const settings = await store.settings(tx);
        if (settings?.shadowSpaceId !== latest.fromSpaceId)
          throw new InvalidMigrationError(
            '--rollback: the previous space is no longer kept (dropped with --drop-old, or replaced by a newer migration)',
          );
        const previous = (await listSpaces(db)).find((space) => space.id === latest.fromSpaceId)!;
        const missing = (await chunksMissingIn(db, previous, tx)).length;
        if (missing > 0)
          throw new InvalidMigrationError(
            `--rollback: ${missing} text(s) have no vector in ${describeSpace(previous)}; re-run the migration to it instead`,
          );
        await store.writeSettings(tx, { liveSpaceId: latest.fromSpaceId, shadowSpaceId: latest.toSpaceId });
        await store.update(latest.id, { state: 'rolled-back', reason: 'rolled back with --rollback' }, tx);
      },
      { vectorTypes: false },
    );
    await corpus.bump();
    return this.status();
  }

  /** Drops the shadow space's vectors and table: the old space after a switch, or a refused target. */
  async dropOld(): Promise<{ dropped: SpaceView; status: MigrationStatus }> {
    const { db, store, corpus } = this.#options;
    const latest = await store.find();
    if (latest !== undefined && isRunning(latest.state))
      throw new InvalidMigrationError('--drop-old: a migration is running; wait for it (--status)');
    const { live, shadow } = await this.#inUse();
    if (shadow === undefined) throw new InvalidMigrationError('--drop-old: no other embedding space is kept');
    await db.transaction(
      async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [gcLockKey(db)]);
        await store.writeSettings(tx, { liveSpaceId: live.id, shadowSpaceId: null });
        await tx.query(`DELETE FROM ${db.table('embedding_spaces')} WHERE id = $1`, [shadow.id]);
        await tx.query(`DROP TABLE IF EXISTS ${shadow.table}`);
      },
      { vectorTypes: false },
    );
    await corpus.bump();
    return { dropped: view(shadow), status: await this.status() };
  }

  async #inUse(): Promise<SpacesInUse> {
    const inUse = await this.#options.spaces.read();
    if (inUse === undefined)
      throw new InvalidMigrationError(
        'no embedding space exists yet: start a worker first (it creates the configured one)',
      );
    return inUse;
  }

  /**
   * A running migration whose coordinator job is gone or failed (a batch failed for good, e.g.
   * the target's API refused the key) is marked failed, so it shows so and a new one may start.
   */
  async #settleAbandoned(): Promise<void> {
    const { store, client, corpus } = this.#options;
    const latest = await store.find();
    if (latest === undefined || !isRunning(latest.state) || latest.jobId === null) return;
    const job = await client.status(latest.jobId);
    if (job.state === 'failed' || job.state === 'unknown') {
      await store.fail(
        latest,
        `its job ${latest.jobId} is ${job.state}${job.failedReason === null ? '' : `: ${job.failedReason}`}`,
      );
      await corpus.bump();
    }
  }
}

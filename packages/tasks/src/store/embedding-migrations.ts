import { redactString } from '@lanes/contracts';
import type { EvalCase, EvalReport } from '../search/evaluation.ts';
import type { Database, DbClient } from './database.ts';

/** Persisted which-space-is-live (migration 5). Absent: the configured model's space is live. */
export interface EmbeddingSettings {
  readonly liveSpaceId: number;
  /** Also written on every embed: a migration's target, or the previous space kept for rollback. */
  readonly shadowSpaceId: number | null;
}

export const RUNNING_STATES = ['embedding', 'indexing', 'evaluating'] as const;
export type MigrationState = (typeof RUNNING_STATES)[number] | 'switched' | 'refused' | 'failed' | 'rolled-back';

/** Both spaces' eval reports, and the rule that decided. */
export interface MigrationEval {
  readonly from: EvalReport;
  readonly to: EvalReport;
  /** Hybrid MRR@10 in each space: the cut-over needs to >= from (or --force). */
  readonly fromMrr: number;
  readonly toMrr: number;
}

export interface MigrationRecord {
  readonly id: number;
  readonly fromSpaceId: number;
  readonly toSpaceId: number;
  readonly state: MigrationState;
  readonly force: boolean;
  readonly evalCases: readonly EvalCase[] | null;
  readonly evalReport: MigrationEval | null;
  readonly reason: string | null;
  readonly jobId: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly finishedAt: Date | null;
}

interface MigrationRow {
  id: number;
  from_space_id: number;
  to_space_id: number;
  state: MigrationState;
  force: boolean;
  eval_cases: EvalCase[] | null;
  eval_report: MigrationEval | null;
  reason: string | null;
  job_id: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

const COLUMNS =
  'id, from_space_id, to_space_id, state, force, eval_cases, eval_report, reason, job_id, created_at, updated_at, finished_at';

function toRecord(row: MigrationRow): MigrationRecord {
  return {
    id: row.id,
    fromSpaceId: row.from_space_id,
    toSpaceId: row.to_space_id,
    state: row.state,
    force: row.force,
    evalCases: row.eval_cases,
    evalReport: row.eval_report,
    reason: row.reason,
    jobId: row.job_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

/** The settings row and the migrations table: where a migration's state survives any crash. */
export class EmbeddingMigrationStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  get db(): Database {
    return this.#db;
  }

  async settings(client?: DbClient): Promise<EmbeddingSettings | undefined> {
    const read = async (c: DbClient): Promise<EmbeddingSettings | undefined> => {
      const { rows } = await c.query<{ live_space_id: number; shadow_space_id: number | null }>(
        `SELECT live_space_id, shadow_space_id FROM ${this.#db.table('embedding_settings')} WHERE id = 1`,
      );
      const row = rows[0];
      return row === undefined ? undefined : { liveSpaceId: row.live_space_id, shadowSpaceId: row.shadow_space_id };
    };
    return client === undefined ? this.#db.withClient(read, { vectorTypes: false }) : read(client);
  }

  async writeSettings(client: DbClient, settings: EmbeddingSettings): Promise<void> {
    await client.query(
      `INSERT INTO ${this.#db.table('embedding_settings')} (id, live_space_id, shadow_space_id) VALUES (1, $1, $2)
       ON CONFLICT (id) DO UPDATE SET live_space_id = EXCLUDED.live_space_id, shadow_space_id = EXCLUDED.shadow_space_id, updated_at = now()`,
      [settings.liveSpaceId, settings.shadowSpaceId],
    );
  }

  /** The newest migration, or one by id. */
  async find(id?: number, client?: DbClient): Promise<MigrationRecord | undefined> {
    const read = async (c: DbClient): Promise<MigrationRecord | undefined> => {
      const { rows } = await c.query<MigrationRow>(
        id === undefined
          ? `SELECT ${COLUMNS} FROM ${this.#db.table('embedding_migrations')} ORDER BY id DESC LIMIT 1`
          : `SELECT ${COLUMNS} FROM ${this.#db.table('embedding_migrations')} WHERE id = $1`,
        id === undefined ? [] : [id],
      );
      return rows[0] === undefined ? undefined : toRecord(rows[0]);
    };
    return client === undefined ? this.#db.withClient(read, { vectorTypes: false }) : read(client);
  }

  async insert(
    client: DbClient,
    input: { fromSpaceId: number; toSpaceId: number; force: boolean; evalCases: readonly EvalCase[] | null },
  ): Promise<MigrationRecord> {
    const { rows } = await client.query<MigrationRow>(
      `INSERT INTO ${this.#db.table('embedding_migrations')} (from_space_id, to_space_id, state, force, eval_cases)
       VALUES ($1, $2, 'embedding', $3, $4) RETURNING ${COLUMNS}`,
      [
        input.fromSpaceId,
        input.toSpaceId,
        input.force,
        input.evalCases === null ? null : JSON.stringify(input.evalCases),
      ],
    );
    return toRecord(rows[0]!);
  }

  /**
   * Ends a migration as failed. Its target stops being written along (a model that fails must
   * not slow every ingest); the vectors it got stay for a re-run.
   */
  async fail(migration: Pick<MigrationRecord, 'id' | 'toSpaceId'>, reason: string): Promise<void> {
    await this.#db.transaction(
      async (client) => {
        await this.update(migration.id, { state: 'failed', reason }, client);
        await client.query(
          `UPDATE ${this.#db.table('embedding_settings')} SET shadow_space_id = NULL, updated_at = now() WHERE shadow_space_id = $1`,
          [migration.toSpaceId],
        );
      },
      { vectorTypes: false },
    );
  }

  async update(
    id: number,
    change: { state?: MigrationState; jobId?: string; evalReport?: MigrationEval; reason?: string | null },
    client?: DbClient,
  ): Promise<void> {
    const finished = change.state !== undefined && !(RUNNING_STATES as readonly string[]).includes(change.state);
    const write = async (c: DbClient): Promise<void> => {
      await c.query(
        `UPDATE ${this.#db.table('embedding_migrations')}
            SET state = coalesce($2, state), job_id = coalesce($3, job_id), eval_report = coalesce($4, eval_report),
                reason = CASE WHEN $5::boolean THEN $6 ELSE reason END,
                finished_at = CASE WHEN $7::boolean THEN now() ELSE finished_at END, updated_at = now()
          WHERE id = $1`,
        [
          id,
          change.state ?? null,
          change.jobId ?? null,
          change.evalReport === undefined ? null : JSON.stringify(change.evalReport),
          change.reason !== undefined,
          // Reasons come from provider errors, which may echo a key.
          change.reason === undefined || change.reason === null ? null : redactString(change.reason),
          finished,
        ],
      );
    };
    if (client === undefined) await this.#db.withClient(write, { vectorTypes: false });
    else await write(client);
  }
}

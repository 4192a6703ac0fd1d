import { LanesError } from '@lanes/contracts';
import type { Database, DbClient } from './database.ts';
import { hnswIndexSql, type EmbeddingSpace, type HnswParams, type IndexPolicy } from './embedding-spaces.ts';

export interface BuildProgress {
  readonly phase: string;
  /** 0..1 */
  readonly fraction: number;
}

export interface RebuildOutcome {
  readonly index: string;
  readonly rows: number;
  readonly durationMs: number;
  /** The indexes dropped after the new one became valid (hnsw or ivfflat). */
  readonly replaced: readonly string[];
  /** Another rebuild of the same table was already running: this one did nothing. */
  readonly skipped: boolean;
}

export class IndexBuildError extends LanesError {
  constructor(message: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super('INDEX_BUILD_FAILED', message, context, options);
  }
}

async function vectorIndexes(
  client: DbClient,
  space: EmbeddingSpace,
): Promise<Array<{ name: string; valid: boolean }>> {
  const { rows } = await client.query<{ name: string; valid: boolean }>(
    `SELECT i.relname AS name, x.indisvalid AS valid
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am am ON am.oid = i.relam
      WHERE x.indrelid = $1::regclass AND am.amname IN ('hnsw', 'ivfflat')`,
    [space.table],
  );
  return rows;
}

async function readProgress(db: Database, space: EmbeddingSpace): Promise<BuildProgress | undefined> {
  return db.withClient(
    async (client) => {
      const { rows } = await client.query<{
        phase: string;
        blocks_done: string;
        blocks_total: string;
        tuples_done: string;
        tuples_total: string;
      }>(
        `SELECT phase, blocks_done, blocks_total, tuples_done, tuples_total FROM pg_stat_progress_create_index WHERE relid = $1::regclass`,
        [space.table],
      );
      const row = rows[0];
      if (row === undefined) return undefined;
      const tuplesTotal = Number(row.tuples_total);
      const blocksTotal = Number(row.blocks_total);
      const fraction =
        tuplesTotal > 0
          ? Number(row.tuples_done) / tuplesTotal
          : blocksTotal > 0
            ? Number(row.blocks_done) / blocksTotal
            : 0;
      return { phase: row.phase, fraction: Math.max(0, Math.min(1, fraction)) };
    },
    { vectorTypes: false },
  );
}

/**
 * Builds a fresh HNSW index with CREATE INDEX CONCURRENTLY (reads and writes continue), then
 * drops the previous vector indexes (HNSW or IVFFlat: this is also the IVFFlat-to-HNSW
 * migration) and runs ANALYZE. One rebuild per table at a time (session advisory lock).
 * Progress comes from pg_stat_progress_create_index, polled on another connection.
 */
export async function rebuildHnswIndex(
  db: Database,
  space: EmbeddingSpace,
  params: HnswParams,
  options: {
    signal?: AbortSignal;
    onProgress?: (progress: BuildProgress) => void;
    maintenanceWorkMem?: string;
    /** Build only if the table has no valid vector index (checked under the lock). */
    onlyIfMissing?: boolean;
  } = {},
): Promise<RebuildOutcome> {
  const startedAt = Date.now();
  return db.withClient(
    async (client) => {
      const lockKey = `lanes:rebuild:${space.table}`;
      const { rows: locked } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [
        lockKey,
      ]);
      if (locked[0]?.ok !== true) {
        const current = (await vectorIndexes(client, space)).find((index) => index.valid)?.name ?? '';
        return { index: current, rows: 0, durationMs: 0, replaced: [], skipped: true };
      }
      if (options.onlyIfMissing === true) {
        const current = (await vectorIndexes(client, space)).find((index) => index.valid);
        if (current !== undefined) {
          await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]);
          return { index: current.name, rows: 0, durationMs: 0, replaced: [], skipped: true };
        }
      }
      const { rows: pidRows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const pid = pidRows[0]!.pid;
      // Abort (timeout, cancel, drain) cancels the build server-side; CONCURRENTLY leaves an
      // invalid index behind, which the next rebuild drops first.
      const onAbort = (): void => {
        void db
          .withClient((other) => other.query('SELECT pg_cancel_backend($1)', [pid]), { vectorTypes: false })
          .catch(() => undefined);
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      let poller: NodeJS.Timeout | undefined;
      try {
        options.signal?.throwIfAborted();
        for (const index of await vectorIndexes(client, space)) {
          if (!index.valid) await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${db.table(index.name)}`);
        }
        const previous = (await vectorIndexes(client, space)).map((index) => index.name);
        const name = `${space.tableName}_hnsw_${Date.now().toString(36)}`;
        await client.query(`SET maintenance_work_mem = '${options.maintenanceWorkMem ?? '256MB'}'`);
        poller = setInterval(() => {
          void readProgress(db, space)
            .then((progress) => progress !== undefined && options.onProgress?.(progress))
            .catch(() => undefined);
        }, 250);
        try {
          await client.query(hnswIndexSql(space, name, params, true));
        } catch (error) {
          options.signal?.throwIfAborted();
          throw new IndexBuildError(
            `building ${name} failed: ${(error as Error).message}`,
            { index: name },
            { cause: error },
          );
        } finally {
          clearInterval(poller);
        }
        options.onProgress?.({ phase: 'done', fraction: 1 });
        for (const old of previous) await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${db.table(old)}`);
        await client.query(`ANALYZE ${space.table}`);
        const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${space.table}`);
        return {
          index: name,
          rows: rows[0]!.n,
          durationMs: Date.now() - startedAt,
          replaced: previous,
          skipped: false,
        };
      } finally {
        clearInterval(poller);
        options.signal?.removeEventListener('abort', onAbort);
        await client.query('RESET maintenance_work_mem').catch(() => undefined);
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]).catch(() => undefined);
      }
    },
    { vectorTypes: false },
  );
}

/**
 * Builds the space's first HNSW index once it holds `policy.minRows` vectors (see IndexPolicy):
 * called after vectors are written, cheap when the index exists (one catalog query) or the
 * space is still small (a count over fewer than minRows rows). Returns the build, if one ran.
 */
export async function indexWhenLarge(
  db: Database,
  space: EmbeddingSpace,
  policy: IndexPolicy,
  signal?: AbortSignal,
): Promise<RebuildOutcome | undefined> {
  const due = await db.withClient(
    async (client) => {
      if ((await vectorIndexes(client, space)).some((index) => index.valid)) return false;
      const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${space.table}`);
      return rows[0]!.n >= policy.minRows;
    },
    { vectorTypes: false },
  );
  if (!due) return undefined;
  return rebuildHnswIndex(db, space, policy, { ...(signal !== undefined && { signal }), onlyIfMissing: true });
}

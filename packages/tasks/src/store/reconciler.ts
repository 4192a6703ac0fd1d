import type { JobState, ReconcileResult } from '@lanes/contracts';
import type { Database } from './database.ts';
import { IncompleteVectorsError, type DocumentStore, type PendingGeneration } from './documents.ts';
import type { EmbeddingSpace } from './embedding-spaces.ts';

export interface ReconcileDeps {
  readonly db: Database;
  readonly documents: Pick<DocumentStore, 'pendingGenerations' | 'rollback' | 'finalise'>;
  /** The live space: a finished generation needs a vector there for every chunk. */
  readonly live: () => Promise<EmbeddingSpace>;
  readonly spaces: () => Promise<readonly EmbeddingSpace[]>;
  /** The state of the ingest job that staged a generation ('unknown' once it is gone). */
  readonly jobState: (jobId: string) => Promise<JobState>;
  /** Called after a generation was made live (cached search results are stale). */
  readonly onPromoted: () => Promise<void>;
}

/** A staging from before jobs were recorded is taken as abandoned once it is this old. */
const UNRECORDED_GRACE_MS = 60 * 60_000;

type Verdict = 'keep' | 'roll-back' | 'finish-or-roll-back';

function verdict(pending: PendingGeneration, state: JobState | undefined, now: number): Verdict {
  if (state === undefined)
    return now - pending.updatedAt.getTime() > UNRECORDED_GRACE_MS ? 'finish-or-roll-back' : 'keep';
  if (state === 'failed') return 'roll-back';
  // Gone (removed, or trimmed past its outcome) or completed without promoting this generation.
  if (state === 'unknown' || state === 'completed') return 'finish-or-roll-back';
  return 'keep';
}

/**
 * Finishes or rolls back every staged generation whose ingest job no longer works on it: a
 * failed job's document returns to its previous live state; a gone job's generation is made
 * live when all its vectors exist, else rolled back. Idempotent, and safe on many workers: a
 * session advisory lock lets one run at a time (the others return `skipped`), and each
 * document is re-checked under its row lock before it is touched.
 */
export async function reconcilePending(deps: ReconcileDeps): Promise<ReconcileResult> {
  const { db } = deps;
  const lockKey = `lanes:reconcile:${db.schema}`;
  return db.withClient(
    async (client) => {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [
        lockKey,
      ]);
      if (rows[0]?.locked !== true) return { examined: 0, finished: 0, rolledBack: 0, skipped: true };
      try {
        return await reconcileLocked(deps);
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]);
      }
    },
    { vectorTypes: false },
  );
}

async function reconcileLocked(deps: ReconcileDeps): Promise<ReconcileResult> {
  const pendings = await deps.documents.pendingGenerations();
  const [spaces, live] = await Promise.all([deps.spaces(), deps.live()]);
  let finished = 0;
  let rolledBack = 0;
  for (const pending of pendings) {
    const state = pending.jobId === null ? undefined : await deps.jobState(pending.jobId);
    const decision = verdict(pending, state, Date.now());
    if (decision === 'keep') continue;
    if (decision === 'finish-or-roll-back') {
      try {
        const outcome = await deps.documents.finalise(pending.documentId, pending.generation, live, spaces);
        if (outcome.state === 'promoted') {
          finished += 1;
          await deps.onPromoted();
        }
        continue;
      } catch (error) {
        if (!(error instanceof IncompleteVectorsError)) throw error;
      }
    }
    if ((await deps.documents.rollback(pending, spaces)) !== 'changed') rolledBack += 1;
  }
  return { examined: pendings.length, finished, rolledBack, skipped: false };
}

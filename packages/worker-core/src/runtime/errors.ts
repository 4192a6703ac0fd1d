import { LanesError } from '@lanes/contracts';

/** Aborts an attempt at the drain deadline: the job goes back to its lane for another worker. */
export class DrainDeadlineError extends LanesError {
  constructor(jobId: string) {
    super('DRAIN_DEADLINE', 'worker shutting down: job handed back to its lane', { jobId });
  }
}

/**
 * Aborts an attempt whose job lock was not seen renewed for the lock duration (a partition
 * from Redis): another worker may already run the job, so this one stops and leaves it.
 */
export class LockLostError extends LanesError {
  constructor(jobId: string, lockDurationMs: number) {
    super(
      'LOCK_LOST',
      `job lock not renewed for ${lockDurationMs} ms: attempt stopped, the job is left to the worker that took it over`,
      { jobId, lockDurationMs },
    );
  }
}

import { LockLostError } from './errors.ts';

/** What a lost lease stops: the attempt holding it. */
export interface Stoppable {
  abort(reason: Error): void;
}

/**
 * The worker's own view of each running job's lock. BullMQ renews locks in the background and
 * reports only the renewals that succeed; a renewal sent into a network partition never
 * answers at all, so BullMQ goes quiet while the lock silently expires in Redis and another
 * worker takes the job over. A job whose lock was not seen renewed for the lock duration
 * (less a margin for the reply's latency) is treated as lost: its attempt is stopped, so the
 * cut-off worker does no more of the work another worker is now doing.
 */
export class JobLeases {
  readonly #lockDurationMs: number;
  readonly #marginMs: number;
  readonly #held = new Map<string, { renewedAt: number; attempt: Stoppable }>();
  #timer: NodeJS.Timeout | undefined;

  constructor(lockDurationMs: number) {
    this.#lockDurationMs = lockDurationMs;
    this.#marginMs = Math.max(250, Math.round(lockDurationMs / 5));
  }

  get lockDurationMs(): number {
    return this.#lockDurationMs;
  }

  /** Starts watching a job whose lock was just taken: `attempt` is stopped with LockLostError if the lock is lost. */
  hold(jobId: string, attempt: Stoppable): void {
    this.#held.set(jobId, { renewedAt: Date.now(), attempt });
    this.#timer ??= setInterval(() => this.#check(), Math.max(100, Math.round(this.#marginMs / 2))).unref();
  }

  /** Stops watching the job (its attempt ended). */
  release(jobId: string): void {
    this.#held.delete(jobId);
    if (this.#held.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** BullMQ's `locksRenewed`: these jobs' locks now run for another lock duration. */
  renewed(jobIds: readonly string[]): void {
    const now = Date.now();
    for (const id of jobIds) {
      const lease = this.#held.get(id);
      if (lease !== undefined) lease.renewedAt = now;
    }
  }

  #check(): void {
    const deadline = Date.now() - (this.#lockDurationMs - this.#marginMs);
    for (const [id, lease] of this.#held) {
      if (lease.renewedAt >= deadline) continue;
      this.#held.delete(id);
      lease.attempt.abort(new LockLostError(id, this.#lockDurationMs));
    }
  }
}

import { prng } from '../../lib/prng.ts';

/** What one side of the lane-priority suite reports. */
export interface PriorityOutcome {
  /** Wait of each critical job, enqueue call to handler start, in ms; Infinity when it never started. */
  readonly criticalWaitsMs: readonly number[];
  /** Low jobs started per second while the criticals were being sent. */
  readonly lowPerSecond: number;
  /** Low jobs not yet started when the last critical job was sent (must stay > 0). */
  readonly backlogAtLastCritical: number;
}

export interface PrioritySizes {
  readonly backlog: number;
  readonly lowWorkMs: number;
  readonly criticals: number;
  readonly criticalEveryMs: number;
  /** Total concurrency of the process, the same for every side. */
  readonly concurrency: number;
  /** Lanes' share of it reserved for the critical lane. */
  readonly criticalSlots: number;
  /** How long to wait for the last critical job to start before giving up on it. */
  readonly settleMs: number;
  readonly chunk: number;
}

export interface PrioritySide {
  readonly name: string;
  /** Adds the low backlog (not timed). */
  fill(sizes: PrioritySizes): Promise<void>;
  /** Starts the workers, sends the critical jobs at a steady rate, and measures. */
  measure(sizes: PrioritySizes): Promise<PriorityOutcome>;
  dispose(): Promise<void>;
}

/**
 * Durations of the low jobs: lowWorkMs ± 50 %, the same sequence for every side. Equal
 * durations would make all slots start and free up in lock-step, which real work never does.
 */
export function lowDurations(sizes: PrioritySizes): number[] {
  const random = prng(7);
  return Array.from({ length: sizes.backlog }, () => Math.max(1, Math.round(sizes.lowWorkMs * (0.5 + random()))));
}

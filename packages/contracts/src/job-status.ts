import type { Lane } from './lanes.ts';

export const JOB_STATES = ['waiting', 'delayed', 'active', 'completed', 'failed', 'unknown'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** The `status` JSON shape of CONTRACT.md. */
export interface JobStatus {
  readonly id: string;
  readonly task: string;
  readonly queue: Lane | null;
  readonly state: JobState;
  readonly progress: unknown;
  readonly attemptsMade: number;
  readonly failedReason: string | null;
  readonly result: unknown;
}

/** What enqueueing returns: enough to find the job again. */
export interface JobRef {
  readonly id: string;
  readonly task: string;
  readonly queue: Lane;
}

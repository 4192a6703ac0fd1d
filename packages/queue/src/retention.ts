import type { KeepJobs } from 'bullmq';

/**
 * Bounded by default so Redis memory does not grow with history: completed jobs are kept a day
 * (at most 1000 a lane), failed ones a week (at most 5000), enough to inspect and retry.
 */
export const DEFAULT_REMOVE_ON_COMPLETE: KeepJobs = { age: 24 * 3600, count: 1000 };
export const DEFAULT_REMOVE_ON_FAIL: KeepJobs = { age: 7 * 24 * 3600, count: 5000 };

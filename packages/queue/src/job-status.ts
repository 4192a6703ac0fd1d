import type { Job } from 'bullmq';
import type { JobState, JobStatus, Lane } from '@lanes/contracts';
import { isHeldJob } from './tenant-fairness.ts';

/** BullMQ has more states than users need; a parent waiting for its children is still working. */
export function toJobState(state: string): JobState {
  switch (state) {
    case 'waiting':
    case 'prioritized':
      return 'waiting';
    case 'waiting-children':
      return 'active';
    case 'delayed':
    case 'active':
    case 'completed':
    case 'failed':
      return state;
    default:
      return 'unknown';
  }
}

/** `bullState` is the state read just before the job itself. A job held for its tenant's turn is waiting. */
export function toJobStatus(job: Job, lane: Lane, bullState: string): JobStatus {
  const state = bullState === 'delayed' && isHeldJob(job) ? 'waiting' : toJobState(bullState);
  return {
    id: job.id ?? '',
    task: job.name,
    queue: lane,
    state,
    progress: job.progress,
    attemptsMade: job.attemptsMade,
    failedReason: job.failedReason ?? null,
    result: state === 'completed' ? (job.returnvalue ?? null) : null,
  };
}

export function unknownJobStatus(id: string): JobStatus {
  return {
    id,
    task: '',
    queue: null,
    state: 'unknown',
    progress: null,
    attemptsMade: 0,
    failedReason: null,
    result: null,
  };
}

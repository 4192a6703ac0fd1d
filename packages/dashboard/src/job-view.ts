import type { Job } from 'bullmq';
import { redact, type JobState, type JobStatus, type Lane } from '@lanes/contracts';
import { toJobStatus } from '@lanes/queue';
import type { LanesClient } from '@lanes/client';

/** BullMQ's states, in the order a search walks them: running work first, history last. */
export const BULL_STATES = [
  'active',
  'waiting-children',
  'waiting',
  'prioritized',
  'delayed',
  'failed',
  'completed',
] as const;
export type BullState = (typeof BULL_STATES)[number];

/** The states users filter on (the `status` shape's, minus `unknown`) and the BullMQ states each covers. */
export const STATE_FILTERS: Readonly<Record<Exclude<JobState, 'unknown'>, readonly BullState[]>> = {
  waiting: ['waiting', 'prioritized'],
  delayed: ['delayed'],
  active: ['active', 'waiting-children'],
  completed: ['completed'],
  failed: ['failed'],
};

/** The document a job is about, when its payload names one (`source`, else `path`). */
export function documentSource(data: unknown): string | null {
  if (typeof data !== 'object' || data === null) return null;
  const record = data as Record<string, unknown>;
  if (typeof record.source === 'string') return record.source;
  if (typeof record.path === 'string') return record.path;
  return null;
}

function isoOrNull(ms: number | undefined): string | null {
  return typeof ms === 'number' && ms > 0 ? new Date(ms).toISOString() : null;
}

/** The `status` shape plus what a person needs to recognise a job; secrets redacted throughout. */
export interface JobView extends JobStatus {
  readonly source: string | null;
  readonly data: unknown;
  readonly createdAt: string | null;
  readonly processedAt: string | null;
  readonly finishedAt: string | null;
}

export function toJobView(job: Job, _lane: Lane, status: JobStatus): JobView {
  return {
    ...status,
    progress: redact(status.progress),
    failedReason: status.failedReason === null ? null : (redact(status.failedReason) as string),
    result: redact(status.result),
    source: documentSource(job.data),
    data: redact(job.data),
    createdAt: isoOrNull(job.timestamp),
    processedAt: isoOrNull(job.processedOn),
    finishedAt: isoOrNull(job.finishedOn),
  };
}

/** A view built from the state the job was listed under, saving a round trip per job. */
export function listedJobView(job: Job, lane: Lane, state: BullState): JobView {
  return toJobView(job, lane, toJobStatus(job, lane, state));
}

/**
 * Looks a job up by id in every lane, then (once retention trimmed its record) among the
 * outcomes kept apart; null when nothing is known of it.
 */
export async function findJobById(client: LanesClient, id: string): Promise<JobView | null> {
  const found = await client.locate(id);
  if (found !== null) return toJobView(found.job, found.lane, toJobStatus(found.job, found.lane, found.state));
  const kept = await client.status(id);
  if (kept.state === 'unknown') return null;
  return {
    ...kept,
    failedReason: kept.failedReason === null ? null : (redact(kept.failedReason) as string),
    result: redact(kept.result),
    source: null,
    data: null,
    createdAt: null,
    processedAt: null,
    finishedAt: null,
  };
}

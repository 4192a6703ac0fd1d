import type { Job } from 'bullmq';
import { LANES, type JobState, type Lane } from '@lanes/contracts';
import type { LanesClient } from '@lanes/client';
import {
  BULL_STATES,
  documentSource,
  findJobById,
  listedJobView,
  STATE_FILTERS,
  type BullState,
  type JobView,
} from './job-view.ts';

export interface JobQuery {
  readonly id?: string;
  readonly task?: string;
  readonly state?: Exclude<JobState, 'unknown'>;
  /** Case-insensitive substring of the payload's `source` or `path`. */
  readonly source?: string;
  readonly lane?: Lane;
  readonly limit: number;
}

export interface JobSearchResult {
  readonly jobs: readonly JobView[];
  /** Jobs read from Redis to answer. */
  readonly scanned: number;
  /** False when the scan budget ran out before every candidate was read: more matches may exist. */
  readonly complete: boolean;
}

export const MAX_LIMIT = 200;
/** BullMQ keeps no index by task or source, so a search reads jobs; this bounds one request's work. */
export const SCAN_BUDGET = 2000;
const PAGE = 100;

function matches(job: Job, query: JobQuery): boolean {
  if (query.task !== undefined && job.name !== query.task) return false;
  if (query.source !== undefined) {
    const source = documentSource(job.data);
    if (source === null || !source.toLowerCase().includes(query.source.toLowerCase())) return false;
  }
  return true;
}

function matchesView(view: JobView, query: JobQuery): boolean {
  if (query.lane !== undefined && view.queue !== query.lane) return false;
  if (query.state !== undefined && view.state !== query.state) return false;
  if (query.task !== undefined && view.task !== query.task) return false;
  if (query.source !== undefined && !(view.source ?? '').toLowerCase().includes(query.source.toLowerCase()))
    return false;
  return true;
}

/**
 * Finds jobs by id (direct lookup) or by task, state, lane and document source (a scan of the
 * lanes' state sets, newest first, page by page, within SCAN_BUDGET jobs).
 */
export async function findJobs(client: LanesClient, query: JobQuery): Promise<JobSearchResult> {
  if (query.id !== undefined) {
    const view = await findJobById(client, query.id);
    return {
      jobs: view !== null && matchesView(view, query) ? [view] : [],
      scanned: view === null ? 0 : 1,
      complete: true,
    };
  }
  const lanes = query.lane === undefined ? LANES : [query.lane];
  const states: readonly BullState[] = query.state === undefined ? BULL_STATES : STATE_FILTERS[query.state];
  const found: JobView[] = [];
  let scanned = 0;
  let complete = true;
  outer: for (const state of states) {
    for (const lane of lanes) {
      const queue = client.queues.get(lane);
      for (let start = 0; ; start += PAGE) {
        if (found.length >= query.limit) break outer;
        if (scanned >= SCAN_BUDGET) {
          complete = false;
          break outer;
        }
        const size = Math.min(PAGE, SCAN_BUDGET - scanned);
        const page: ReadonlyArray<Job | undefined | null> = await queue.getJobs(
          [state],
          start,
          start + size - 1,
          false,
        );
        scanned += page.length;
        for (const job of page) {
          // A job removed between listing and reading comes back empty; skip it.
          if (job === undefined || job === null) continue;
          if (matches(job, query)) found.push(listedJobView(job, lane, state));
          if (found.length >= query.limit) break;
        }
        if (page.length < size) break;
      }
    }
  }
  return { jobs: found, scanned, complete };
}

import type { Redis } from 'ioredis';
import { LANES, type JobStatus, type Lane, type SerializedError } from '@lanes/contracts';

/**
 * A finished job's outcome, kept apart from the job record for a while: retention trims job
 * records by count (the last 1000 completed a lane), so a handle waited on after a burst of
 * quick jobs would otherwise find nothing. Small by construction (see MAX_OUTCOME_BYTES).
 */
export interface JobOutcome {
  readonly state: 'completed' | 'failed';
  readonly task: string;
  readonly attemptsMade: number;
  readonly finishedOn: number;
  readonly failedReason?: string;
  /** The error that failed the job, as the worker recorded it (job-failure.ts). */
  readonly failure?: SerializedError;
  readonly result?: unknown;
  /** The result was larger than an outcome record holds: only the job record had it. */
  readonly resultOmitted?: true;
}

/** Ten minutes: the default wait timeout. Memory: about 200 bytes per job finished in that time. */
export const DEFAULT_OUTCOME_TTL_MS = 10 * 60_000;
/** An outcome record holds a result up to this size; larger ones stay in the job record only. */
export const MAX_OUTCOME_BYTES = 4096;
const MAX_REASON_CHARS = 1000;

/** Beside the lanes' keys (same hash tag, so the same Redis Cluster slot), never a job id's. */
export function outcomeKey(prefix: string, lane: Lane, id: string): string {
  return `${prefix}:lanes-outcome:${lane}:${id}`;
}

function serialise(outcome: JobOutcome): string {
  const bounded =
    outcome.failedReason !== undefined && outcome.failedReason.length > MAX_REASON_CHARS
      ? { ...outcome, failedReason: `${outcome.failedReason.slice(0, MAX_REASON_CHARS)}…` }
      : outcome;
  const text = JSON.stringify(bounded);
  if (text.length <= MAX_OUTCOME_BYTES) return text;
  if (bounded.state === 'failed') {
    // A failure's context (a payload's issues) may be long: the failed reason still tells.
    const { failure: _failure, ...rest } = bounded;
    return JSON.stringify(rest);
  }
  const { result: _result, ...rest } = bounded;
  return JSON.stringify({ ...rest, resultOmitted: true });
}

/** KEYS: outcome keys; ARGV[1]: ttl ms, ARGV[1 + i]: the record for KEYS[i]. */
const RECORD_SCRIPT = `
for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[i + 1], 'PX', ARGV[1]) end
return #KEYS`;

/**
 * Written by the worker once BullMQ has recorded the job as finished (completed, or failed for
 * good). The records of all jobs that finish within one turn of the event loop go in one script
 * call: one command per job was a fifth of the worker's CPU per no-op job.
 */
export class OutcomeRecorder {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #ttl: string;
  readonly #onError: (error: unknown, count: number) => void;
  #keys: string[] = [];
  #values: string[] = [];
  #flushing: Promise<void> | undefined;

  constructor(redis: Redis, prefix: string, ttlMs: number, onError: (error: unknown, count: number) => void) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#ttl = String(ttlMs);
    this.#onError = onError;
  }

  record(lane: Lane, id: string, outcome: JobOutcome): void {
    this.#keys.push(outcomeKey(this.#prefix, lane, id));
    this.#values.push(serialise(outcome));
    this.#flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#flush());
  }

  /** Resolves once every outcome recorded so far was written (or failed to be). */
  async flush(): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing;
  }

  async #flush(): Promise<void> {
    const keys = this.#keys;
    const values = this.#values;
    this.#keys = [];
    this.#values = [];
    try {
      await this.#redis.eval(RECORD_SCRIPT, keys.length, ...keys, this.#ttl, ...values);
    } catch (error) {
      this.#onError(error, keys.length);
    } finally {
      this.#flushing = this.#keys.length > 0 ? this.#flush() : undefined;
    }
  }
}

/** The outcome of job `id` in `lane`, or in whichever lane has one when `lane` is undefined. */
export async function readOutcome(
  redis: Redis,
  prefix: string,
  id: string,
  lane?: Lane,
): Promise<{ lane: Lane; outcome: JobOutcome } | undefined> {
  const lanes = lane === undefined ? LANES : [lane];
  const values = await redis.mget(...lanes.map((l) => outcomeKey(prefix, l, id)));
  for (const [i, value] of values.entries()) {
    if (value !== null) return { lane: lanes[i]!, outcome: JSON.parse(value) as JobOutcome };
  }
  return undefined;
}

/** The `status` shape for a job known only by its outcome record. */
export function outcomeStatus(id: string, lane: Lane, outcome: JobOutcome): JobStatus {
  return {
    id,
    task: outcome.task,
    queue: lane,
    state: outcome.state,
    progress: null,
    attemptsMade: outcome.attemptsMade,
    failedReason: outcome.failedReason ?? null,
    result: outcome.state === 'completed' ? (outcome.result ?? null) : null,
  };
}

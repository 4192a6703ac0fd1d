import { Job, QueueEvents, type Telemetry } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  LANES,
  LanesError,
  search as searchContract,
  type AnyTaskContract,
  type JobRef,
  type JobStatus,
  type Lane,
  type PayloadOf,
  type ResultOf,
  type SearchFilter,
  type SearchMode,
  type SearchResponse,
} from '@lanes/contracts';
import { cancelChannel } from './cancellation.ts';
import { createBlockingConnection, createProducerConnection, DEFAULT_PREFIX, hashTaggedPrefix } from './connection.ts';
import { buildJobSpec, type EnqueueOptions, type JobSpec } from './job-spec.ts';
import { LaneQueues } from './lane-queues.ts';
import { toJobStatus, unknownJobStatus } from './job-status.ts';

export interface LanesClientOptions {
  redisUrl: string;
  /** Key prefix; hash-tagged automatically. Defaults to `lanes`. */
  prefix?: string;
  /** OpenTelemetry through BullMQ (e.g. bullmq-otel's BullMQOtel); off when absent. */
  telemetry?: Telemetry;
}

/** A typed handle on an enqueued job: `wait()` resolves to the task's result type. */
export interface JobHandle<C extends AnyTaskContract> extends JobRef {
  wait(options?: { timeoutMs?: number }): Promise<ResultOf<C>>;
}

export class JobFailedError extends LanesError {
  constructor(ref: JobRef, reason: string) {
    super('JOB_FAILED', `job ${ref.id} (${ref.task}) failed: ${reason}`, { ...ref, reason });
  }
}

export class WaitTimeoutError extends LanesError {
  constructor(id: string, timeoutMs: number) {
    super('WAIT_TIMEOUT', `job ${id} did not finish within ${timeoutMs} ms`, { id, timeoutMs });
  }
}

export type CancelOutcome = 'removed' | 'signalled' | 'finished' | 'unknown';

/**
 * Application-side entry to Lanes: enqueue, wait, status, cancel, search. Talks to Redis
 * only, so it installs without database drivers, document parsers or embedding SDKs.
 */
export class LanesClient {
  readonly prefix: string;
  readonly #redisUrl: string;
  readonly #connection: Redis;
  readonly #queues: LaneQueues;
  readonly #events = new Map<Lane, { events: QueueEvents; connection: Redis }>();

  constructor(options: LanesClientOptions) {
    this.#redisUrl = options.redisUrl;
    this.prefix = hashTaggedPrefix(options.prefix ?? DEFAULT_PREFIX);
    this.#connection = createProducerConnection(options.redisUrl);
    // Connection errors reach callers as failed commands; without a listener ioredis would
    // also print each reconnect failure to stderr, outside the structured log.
    this.#connection.on('error', () => undefined);
    this.#queues = new LaneQueues(this.#connection, this.prefix, options.telemetry);
  }

  /** Validates, then enqueues. A bad payload throws InvalidPayloadError and nothing reaches Redis. */
  async enqueue<C extends AnyTaskContract>(contract: C, payload: PayloadOf<C>, options?: EnqueueOptions): Promise<JobHandle<C>> {
    const [handle] = await this.enqueueBulk(contract, [{ payload, ...(options !== undefined && { options }) }]);
    return handle!;
  }

  /** All payloads are validated before the first job is written; then one round trip adds them all. */
  async enqueueBulk<C extends AnyTaskContract>(
    contract: C,
    items: ReadonlyArray<{ payload: PayloadOf<C>; options?: EnqueueOptions }>,
  ): Promise<JobHandle<C>[]> {
    const specs = items.map((item) => buildJobSpec(contract, item.payload, item.options));
    return this.addSpecs<C>(specs);
  }

  /** Adds pre-validated specs grouped by lane. Shared with the worker's follow-up enqueueing. */
  async addSpecs<C extends AnyTaskContract>(specs: readonly JobSpec[]): Promise<JobHandle<C>[]> {
    const handles: JobHandle<C>[] = new Array(specs.length);
    const byLane = new Map<Lane, number[]>();
    specs.forEach((spec, index) => {
      const indexes = byLane.get(spec.lane);
      if (indexes === undefined) byLane.set(spec.lane, [index]);
      else indexes.push(index);
    });
    await Promise.all(
      [...byLane].map(async ([lane, indexes]) => {
        const jobs = await this.#queues.get(lane).addBulk(indexes.map((i) => specs[i]!));
        jobs.forEach((job, j) => {
          handles[indexes[j]!] = this.#handle<C>({ id: job.id!, task: job.name, queue: lane });
        });
      }),
    );
    return handles;
  }

  #handle<C extends AnyTaskContract>(ref: JobRef): JobHandle<C> {
    return { ...ref, wait: (options) => this.wait(ref.id, options) as Promise<ResultOf<C>> };
  }

  /**
   * The job and its lane. The state is read before the job, so a job that finishes between
   * the two reads is seen with its final data, never as "failed" without a reason.
   */
  async locate(id: string): Promise<{ job: Job; lane: Lane; state: string } | null> {
    for (const lane of LANES) {
      const queue = this.#queues.get(lane);
      const state = await queue.getJobState(id);
      if (state === 'unknown') continue;
      const job = await Job.fromId(queue, id);
      if (job !== undefined) return { job, lane, state };
    }
    return null;
  }

  async status(id: string): Promise<JobStatus> {
    const found = await this.locate(id);
    return found === null ? unknownJobStatus(id) : toJobStatus(found.job, found.lane, found.state);
  }

  #eventsFor(lane: Lane): QueueEvents {
    let entry = this.#events.get(lane);
    if (entry === undefined) {
      const connection = createBlockingConnection(this.#redisUrl);
      const events = new QueueEvents(lane, { connection, prefix: this.prefix });
      // Every concurrent wait() listens on the lane's events: no fixed listener ceiling.
      events.setMaxListeners(0);
      events.on('error', () => undefined);
      entry = { events, connection };
      this.#events.set(lane, entry);
    }
    return entry.events;
  }

  /** Resolves with the job's result; rejects with JobFailedError, or WaitTimeoutError after `timeoutMs`. */
  async wait(id: string, options: { timeoutMs?: number } = {}): Promise<unknown> {
    const timeoutMs = options.timeoutMs ?? 10 * 60_000;
    const found = await this.locate(id);
    if (found === null) throw new LanesError('UNKNOWN_JOB', `job ${id} is unknown`, { id });
    const events = this.#eventsFor(found.lane);
    await events.waitUntilReady();
    try {
      return await found.job.waitUntilFinished(events, timeoutMs);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (/timed out before finishing/i.test(reason)) throw new WaitTimeoutError(id, timeoutMs);
      throw new JobFailedError({ id, task: found.job.name, queue: found.lane }, reason);
    }
  }

  /**
   * Removes a job that has not started; for a running one, tells its worker to abort the
   * attempt (the job then fails with reason "cancelled" and is not retried).
   */
  async cancel(id: string): Promise<CancelOutcome> {
    const found = await this.locate(id);
    if (found === null) return 'unknown';
    const { state } = found;
    if (state === 'completed' || state === 'failed') return 'finished';
    if (state === 'active' || state === 'waiting-children') {
      await this.#connection.publish(cancelChannel(this.prefix), id);
      return 'signalled';
    }
    await found.job.remove();
    return 'removed';
  }

  /** Hybrid (default), vector or lexical search, run by a worker on the critical lane. */
  async search(query: string, options: { k?: number; mode?: SearchMode; filter?: SearchFilter; timeoutMs?: number } = {}): Promise<SearchResponse> {
    const handle = await this.enqueue(searchContract, {
      query,
      ...(options.k !== undefined && { k: options.k }),
      ...(options.mode !== undefined && { mode: options.mode }),
      ...(options.filter !== undefined && { filter: options.filter }),
    });
    return handle.wait({ timeoutMs: options.timeoutMs ?? 30_000 });
  }

  get queues(): LaneQueues {
    return this.#queues;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#events.values()].map((entry) => entry.events.close().finally(() => entry.connection.disconnect())));
    this.#events.clear();
    await this.#queues.close();
    this.#connection.disconnect();
  }
}

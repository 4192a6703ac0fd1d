import type { EventEmitter } from 'node:events';
import { Job, QueueEvents, type Telemetry } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  asDependencyError,
  redactUrl,
  LANES,
  LanesError,
  rebuildError,
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
  definedOnly,
} from '@lanes/contracts';
import {
  buildJobSpec,
  cancelChannel,
  createBlockingConnection,
  createProducerConnection,
  DEFAULT_PREFIX,
  hashTaggedPrefix,
  HOLD_DELAY_MS,
  holdTenantJobs,
  isHeldJob,
  LaneQueues,
  outcomeStatus,
  readFailure,
  readOutcome,
  releaseHeldJob,
  tenantOf,
  toJobStatus,
  unknownJobStatus,
  type EnqueueOptions,
  type JobOutcome,
  type JobSpec,
} from '@lanes/queue';

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

/**
 * A waited-on job failed. `failure` is the error that failed it, rebuilt as its own class from
 * its code (DocumentRejectedError, PermanentError, ...); undefined when BullMQ failed the job
 * itself (a child failed, it stalled too often) or the record was trimmed.
 */
export class JobFailedError extends LanesError {
  constructor(ref: JobRef, reason: string, failure?: LanesError) {
    const context = { ...ref, reason, ...(failure !== undefined && { failureCode: failure.code }) };
    super('JOB_FAILED', `job ${ref.id} (${ref.task}) failed: ${reason}`, context, { cause: failure });
  }
  get failure(): LanesError | undefined {
    return this.cause instanceof LanesError ? this.cause : undefined;
  }
}

export class WaitTimeoutError extends LanesError {
  constructor(id: string, timeoutMs: number) {
    super('WAIT_TIMEOUT', `job ${id} did not finish within ${timeoutMs} ms`, { id, timeoutMs });
  }
}

/** What a wait settles with: the job's end, from its events or from what Redis still holds. */
type WaitEnd =
  | { readonly state: 'completed'; readonly result: unknown }
  | { readonly state: 'failed'; readonly reason: string };

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
  readonly #events = new Map<Lane, Promise<{ events: QueueEvents; connection: Redis }>>();
  /** Pending waits, rejected when the client closes. */
  readonly #waits = new Set<(error: Error) => void>();
  /** What the connection last reported while down: the cause behind ioredis's generic command errors. */
  #connectionError: Error | undefined;

  constructor(options: LanesClientOptions) {
    this.#redisUrl = options.redisUrl;
    this.prefix = hashTaggedPrefix(options.prefix ?? DEFAULT_PREFIX);
    this.#connection = createProducerConnection(options.redisUrl);
    // Connection errors reach callers as failed commands; without a listener ioredis would
    // also print each reconnect failure to stderr, outside the structured log.
    this.#connection.on('error', (error: Error) => (this.#connectionError = error));
    this.#connection.on('ready', () => (this.#connectionError = undefined));
    this.#queues = new LaneQueues(this.#connection, this.prefix, options.telemetry);
  }

  /** The Redis URL with any password masked, as error messages show it. */
  get redisUrl(): string {
    return redactUrl(this.#redisUrl);
  }

  /** An outage becomes DependencyUnavailableError naming Redis, its URL and the cause (not ioredis's retry message). */
  #named(error: unknown): unknown {
    return asDependencyError(error, 'redis', {
      url: this.#redisUrl,
      ...definedOnly({ lastConnectionError: this.#connectionError }),
    });
  }

  async #reaching<T>(operation: Promise<T>): Promise<T> {
    try {
      return await operation;
    } catch (error) {
      throw this.#named(error);
    }
  }

  /** Validates, then enqueues. A bad payload throws InvalidPayloadError and nothing reaches Redis. */
  async enqueue<C extends AnyTaskContract>(
    contract: C,
    payload: PayloadOf<C>,
    options?: EnqueueOptions,
  ): Promise<JobHandle<C>> {
    const [handle] = await this.enqueueBulk(contract, [{ payload, ...definedOnly({ options }) }]);
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

  /**
   * Adds pre-validated specs grouped by lane. Shared with the worker's follow-up enqueueing.
   * Redis down or refusing writes (maxmemory reached) rejects with DependencyUnavailableError.
   */
  async addSpecs<C extends AnyTaskContract>(specs: readonly JobSpec[]): Promise<JobHandle<C>[]> {
    try {
      return await this.#addSpecs<C>(specs);
    } catch (error) {
      throw this.#named(error);
    }
  }

  async #addSpecs<C extends AnyTaskContract>(specs: readonly JobSpec[]): Promise<JobHandle<C>[]> {
    const handles: JobHandle<C>[] = new Array(specs.length);
    const byLane = new Map<Lane, number[]>();
    specs.forEach((spec, index) => {
      const indexes = byLane.get(spec.lane);
      if (indexes === undefined) byLane.set(spec.lane, [index]);
      else indexes.push(index);
    });
    await Promise.all(
      [...byLane].map(async ([lane, indexes]) => {
        const laneSpecs = await this.#holdForTenants(
          lane,
          indexes.map((i) => specs[i]!),
        );
        const queue = this.#queues.get(lane);
        // One job is one script call; addBulk wraps even a single job in a MULTI transaction.
        const jobs =
          laneSpecs.length === 1
            ? [await queue.add(laneSpecs[0]!.name, laneSpecs[0]!.data, laneSpecs[0]!.opts)]
            : await queue.addBulk(laneSpecs);
        jobs.forEach((job, j) => {
          handles[indexes[j]!] = this.#handle<C>({ id: job.id!, task: job.name, queue: lane });
        });
      }),
    );
    return handles;
  }

  /**
   * Ready tenant jobs of a congested lane are held back for their tenant's turn (see
   * tenant-fairness in @lanes/queue): held before they are added, so no admission misses one.
   */
  async #holdForTenants(lane: Lane, specs: readonly JobSpec[]): Promise<JobSpec[]> {
    const byTenant = new Map<string, string[]>();
    for (const spec of specs) {
      const { tenant, delay, parent } = spec.opts;
      if (tenant === undefined || (delay ?? 0) > 0 || parent !== undefined) continue;
      const ids = byTenant.get(tenant) ?? [];
      ids.push(spec.opts.jobId);
      byTenant.set(tenant, ids);
    }
    if (byTenant.size === 0) return [...specs];
    const held = new Set<string>();
    for (const [tenant, ids] of byTenant) {
      for (const id of await holdTenantJobs(this.#connection, this.prefix, lane, tenant, ids)) held.add(id);
    }
    return specs.map((spec) =>
      held.has(spec.opts.jobId) ? { ...spec, opts: { ...spec.opts, delay: HOLD_DELAY_MS } } : spec,
    );
  }

  #handle<C extends AnyTaskContract>(ref: JobRef): JobHandle<C> {
    return { ...ref, wait: (options) => this.#wait(ref.id, ref.queue, options?.timeoutMs) as Promise<ResultOf<C>> };
  }

  /**
   * The job and its lane. The state is read before the job, so a job that finishes between
   * the two reads is seen with its final data, never as "failed" without a reason.
   */
  async locate(id: string): Promise<{ job: Job; lane: Lane; state: string } | null> {
    for (const lane of LANES) {
      const queue = this.#queues.get(lane);
      const state = await this.#reaching(queue.getJobState(id));
      if (state === 'unknown') continue;
      const job = await this.#reaching(Job.fromId(queue, id));
      if (job !== undefined) return { job, lane, state };
    }
    return null;
  }

  /** A job's state; once retention trimmed its record, from its outcome record while that lasts. */
  async status(id: string): Promise<JobStatus> {
    const found = await this.locate(id);
    if (found !== null) return toJobStatus(found.job, found.lane, found.state);
    const kept = await readOutcome(this.#connection, this.prefix, id);
    return kept === undefined ? unknownJobStatus(id) : outcomeStatus(id, kept.lane, kept.outcome);
  }

  /**
   * The lane's event stream, read from the entry that was last when it was first asked for:
   * an end written before the reader's first XREAD is still delivered (BullMQ's default, `$`,
   * skipped it, and a job that finished in that gap was waited on until the timeout).
   */
  #eventsFor(lane: Lane): Promise<{ events: QueueEvents; connection: Redis }> {
    let entry = this.#events.get(lane);
    if (entry === undefined) {
      entry = (async () => {
        const last = await this.#connection.xrevrange(this.#queues.get(lane).toKey('events'), '+', '-', 'COUNT', 1);
        const connection = createBlockingConnection(this.#redisUrl);
        const events = new QueueEvents(lane, { connection, prefix: this.prefix, lastEventId: last[0]?.[0] ?? '0-0' });
        // Every concurrent wait() listens on the lane's events: no fixed listener ceiling.
        events.setMaxListeners(0);
        events.on('error', () => undefined);
        return { events, connection };
      })();
      this.#events.set(lane, entry);
      // A failed start (Redis down) is not remembered: the next wait tries again.
      entry.catch(() => this.#events.delete(lane));
    }
    return entry;
  }

  /** Resolves with the job's result; rejects with JobFailedError, or WaitTimeoutError after `timeoutMs`. */
  async wait(id: string, options: { timeoutMs?: number } = {}): Promise<unknown> {
    const found = await this.locate(id);
    const lane = found?.lane ?? (await readOutcome(this.#connection, this.prefix, id))?.lane;
    if (lane === undefined) throw this.#unknownJob(id);
    return this.#wait(id, lane, options.timeoutMs);
  }

  /**
   * Listens for the job's end first, then looks whether it has already ended (its record, or
   * its outcome record once retention trimmed the record): no end can fall between the two.
   */
  async #wait(id: string, lane: Lane, timeoutMs = 10 * 60_000): Promise<unknown> {
    // Per-job event names (`completed:<id>`) are outside BullMQ's typed listener map.
    const events: EventEmitter = (await this.#eventsFor(lane)).events;
    const end = await new Promise<WaitEnd>((resolve, reject) => {
      const completedEvent = `completed:${id}`;
      const failedEvent = `failed:${id}`;
      const onCompleted = (args: { returnvalue: unknown }): void =>
        finish(() => resolve({ state: 'completed', result: args.returnvalue }));
      const onFailed = (args: { failedReason: string }): void =>
        finish(() => resolve({ state: 'failed', reason: args.failedReason }));
      const onClose = (error: Error): void => finish(() => reject(error));
      const timer = setTimeout(() => onClose(new WaitTimeoutError(id, timeoutMs)), timeoutMs);
      let settled = false;
      const finish = (settle: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        events.off(completedEvent, onCompleted);
        events.off(failedEvent, onFailed);
        this.#waits.delete(onClose);
        settle();
      };
      events.on(completedEvent, onCompleted);
      events.on(failedEvent, onFailed);
      this.#waits.add(onClose);
      this.#endedAlready(id, lane).then(
        (ended) => {
          if (ended === null) onClose(this.#unknownJob(id));
          else if (ended !== undefined) finish(() => resolve(ended));
        },
        (error: unknown) => onClose(error instanceof Error ? error : new Error(String(error))),
      );
    });
    if (end.state === 'completed') return end.result;
    const kept = (await readOutcome(this.#connection, this.prefix, id, lane))?.outcome;
    const task = kept?.task ?? (await this.locate(id))?.job.name ?? '';
    // The job record's, or the outcome record's once retention trimmed the job.
    const failure = (await readFailure(this.#queues.get(lane), id)) ?? kept?.failure;
    throw new JobFailedError(
      { id, task, queue: lane },
      end.reason,
      failure === undefined ? undefined : rebuildError(failure),
    );
  }

  /** The end of a job that already ended; undefined while it runs; null when nothing is known of it. */
  async #endedAlready(id: string, lane: Lane): Promise<WaitEnd | undefined | null> {
    const state = await this.#queues.get(lane).getJobState(id);
    if (state === 'completed' || state === 'failed') {
      const job = await Job.fromId(this.#queues.get(lane), id);
      if (job !== undefined)
        return state === 'completed' ? { state, result: job.returnvalue } : { state, reason: job.failedReason };
    } else if (state !== 'unknown') {
      return undefined;
    }
    // Trimmed (or removed) meanwhile: the outcome record, if it is still kept.
    const kept = await readOutcome(this.#connection, this.prefix, id, lane);
    return kept === undefined ? null : endOf(id, kept.outcome);
  }

  #unknownJob(id: string): LanesError {
    return new LanesError(
      'UNKNOWN_JOB',
      `job ${id} is unknown: never enqueued, removed, or finished longer ago than finished jobs and their outcomes are kept`,
      { id },
    );
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
      await this.#reaching(this.#connection.publish(cancelChannel(this.prefix), id));
      return 'signalled';
    }
    await this.#reaching(found.job.remove());
    const tenant = tenantOf(found.job);
    if (tenant !== undefined && isHeldJob(found.job))
      await releaseHeldJob(this.#connection, this.prefix, found.lane, tenant, id);
    return 'removed';
  }

  /**
   * Hybrid (default), vector or lexical search, run by a worker on the critical lane. With
   * `tenant`, over that tenant's documents only; without, over documents of no tenant.
   */
  async search(
    query: string,
    options: { k?: number; mode?: SearchMode; filter?: SearchFilter; tenant?: string; timeoutMs?: number } = {},
  ): Promise<SearchResponse> {
    const handle = await this.enqueue(searchContract, {
      query,
      ...definedOnly({ k: options.k, mode: options.mode, filter: options.filter, tenant: options.tenant }),
    });
    return handle.wait({ timeoutMs: options.timeoutMs ?? 30_000 });
  }

  get queues(): LaneQueues {
    return this.#queues;
  }

  async close(): Promise<void> {
    for (const reject of [...this.#waits])
      reject(new LanesError('CLIENT_CLOSED', 'the client was closed while waiting'));
    const entries = await Promise.allSettled([...this.#events.values()]);
    await Promise.all(
      entries.map((entry) =>
        entry.status === 'fulfilled'
          ? entry.value.events.close().finally(() => entry.value.connection.disconnect())
          : undefined,
      ),
    );
    this.#events.clear();
    await this.#queues.close();
    this.#connection.disconnect();
  }
}

/** A kept outcome as a wait's end; a result too large to keep is an end the wait cannot deliver. */
function endOf(id: string, outcome: JobOutcome): WaitEnd {
  if (outcome.state === 'failed') return { state: 'failed', reason: outcome.failedReason ?? '' };
  if (outcome.resultOmitted === true) {
    throw new LanesError(
      'RESULT_TRIMMED',
      `job ${id} completed, but retention trimmed its record and its result was too large to keep apart`,
      { id },
    );
  }
  return { state: 'completed', result: outcome.result ?? null };
}

import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, Job, UnrecoverableError, WaitingChildrenError, WaitingError } from 'bullmq';
import {
  DependencyUnavailableError,
  infrastructureFault,
  InvalidPayloadError,
  isLane,
  JobCancelledError,
  parsePayload,
  PermanentError,
  redact,
  redactError,
  redactString,
  serializeError,
  TaskTimeoutError,
  type SerializedError,
  type InfrastructureFault,
  type Lane,
} from '@lanes/contracts';
import { buildJobSpec, recordFailure, tenantOf } from '@lanes/queue';
import type { LanesClient } from '@lanes/client';
import type { Logger } from '../observability/logger.ts';
import type { LanesMetrics } from '../observability/metrics.ts';
import { AttemptStop } from './attempt-stop.ts';
import { DrainDeadlineError, LockLostError } from './errors.ts';
import type { JobLeases, Stoppable } from './job-leases.ts';
import { continueOutage, describeDuration, outageDelayMs, outageOf, withOutage, type OutagePolicy } from './outage.ts';
import { JobSteps, payloadOf } from './steps.ts';
import type { TaskCatalog } from './task-catalog.ts';
import type { TenantLimit } from './tenant-limit.ts';
import type { TenantJobCounts } from './tenant-job-counts.ts';
import type { ParentJob, TaskContext, TaskDefinition } from './task.ts';

export interface JobRunnerDeps {
  readonly catalog: TaskCatalog;
  readonly client: LanesClient;
  readonly logger: Logger;
  readonly metrics: LanesMetrics;
  /** In-flight attempts by job id, so drain can abort them at the deadline. */
  readonly inFlight: Map<string, Stoppable>;
  readonly outage: OutagePolicy;
  /** The lane's lock watch: an attempt whose lock is lost stops. */
  readonly leases: JobLeases;
  /** Aborted when the worker starts to drain: no attempt waits out an outage in place then. */
  readonly stopping: AbortSignal;
  /** Per-tenant attempt counts for the dashboard (Redis). */
  readonly tenantJobs?: TenantJobCounts;
  /** The per-tenant concurrency limit shared by all workers, when one is configured. */
  readonly tenantLimit?: TenantLimit;
}

/** Metric children bound to one task and lane once, so the per-job path does no label hashing. */
interface TaskInstruments {
  readonly completed: { inc(): void };
  readonly failed: { inc(): void };
  readonly retried: { inc(): void };
  readonly retries: { inc(): void };
  readonly abandoned: { inc(): void };
  readonly duration: { observe(seconds: number): void };
}

/** Back-off for a job that finds its task at the concurrency limit: short, jittered. */
function gateDelayMs(): number {
  return 50 + Math.floor(Math.random() * 200);
}

/** Failures the job asked for itself: never reclassified as an outage. */
function isPermanent(error: unknown): boolean {
  return error instanceof PermanentError || error instanceof JobCancelledError || error instanceof UnrecoverableError;
}

/** Outcomes already handed to BullMQ (the job was moved): not failures at all. */
function isHandedOver(error: unknown): boolean {
  return error instanceof WaitingChildrenError || error instanceof DelayedError || error instanceof WaitingError;
}

/** An outage of Redis or PostgreSQL behind this failure, if that is what it is. */
function outageFault(error: unknown): InfrastructureFault | undefined {
  return isPermanent(error) ||
    isHandedOver(error) ||
    error instanceof DrainDeadlineError ||
    error instanceof LockLostError
    ? undefined
    : infrastructureFault(error);
}

/** The parent a child was spawned by: BullMQ records it as `{ id, queue: "{prefix}:lane" }`. */
function parentOf(job: Job, client: LanesClient): ParentJob | undefined {
  const id = job.parent?.id;
  const queueKey = job.parent?.queueKey ?? '';
  const lane = queueKey.slice(queueKey.lastIndexOf(':') + 1);
  if (id === undefined || !isLane(lane)) return undefined;
  return {
    id,
    lane,
    // BullMQ's progress update needs the job id only, not the parent's data.
    progress: (value) => new Job(client.queues.get(lane), '', {}, {}, id).updateProgress(value),
  };
}

/**
 * Runs one attempt of one job: gates (concurrency, rate), validation, the handler with its
 * deadline and cancellation, and children. Translates outcomes into what BullMQ expects; an
 * outage of Redis or PostgreSQL postpones the job without counting an attempt.
 */
export class JobRunner {
  readonly #deps: JobRunnerDeps;
  readonly #lane: Lane;
  readonly #instruments = new Map<string, TaskInstruments>();
  readonly #active: { inc(): void; dec(): void };

  constructor(lane: Lane, deps: JobRunnerDeps) {
    this.#lane = lane;
    this.#deps = deps;
    this.#active = deps.metrics.active.labels({ lane });
  }

  /**
   * Whatever this throws becomes the job's failedReason and stack trace in Redis (shown by
   * `lanes status`, the API and Bull Board): secrets are masked here, once, for every outcome.
   */
  async run(job: Job, token: string | undefined): Promise<unknown> {
    try {
      return await this.#run(job, token);
    } catch (error) {
      throw redactError(error);
    }
  }

  async #run(job: Job, token: string | undefined): Promise<unknown> {
    const { catalog } = this.#deps;
    const task = catalog.get(job.name);
    if (task === undefined)
      throw new UnrecoverableError(
        `no handler for task "${job.name}" in this worker (has: ${catalog.names().join(', ')})`,
      );
    try {
      return await this.#gatedAttempt(task, job, token);
    } catch (error) {
      const fault = outageFault(error);
      if (fault === undefined) throw error;
      throw await this.#rideOutOutage(task, job, token, fault);
    }
  }

  async #gatedAttempt(task: TaskDefinition, job: Job, token: string | undefined): Promise<unknown> {
    const { catalog } = this.#deps;
    if (!catalog.tryClaim(task)) return this.#postpone(job, token, gateDelayMs());
    try {
      const rateWait = task.rateLimit === undefined ? 0 : await catalog.rateWait(task);
      if (rateWait > 0) return await this.#postpone(job, token, rateWait);
      const tenant = tenantOf(job);
      if (tenant === undefined) return await this.#attempt(task, job, token);
      return await this.#attemptForTenant(task, job, token, tenant);
    } finally {
      catalog.release(task);
    }
  }

  /**
   * Postpones a job whose dependency is down, without counting an attempt, and records the
   * outage in the job so every worker measures the same budget. Past the budget the job fails
   * naming the dependency. While Redis itself refuses the postponement, waits in place with
   * the same back-off; if the lock is lost meanwhile (or the worker drains) the job is left to
   * stalled-job recovery, which returns it to its lane, again without counting an attempt.
   */
  async #rideOutOutage(
    task: TaskDefinition,
    job: Job,
    token: string | undefined,
    fault: InfrastructureFault,
  ): Promise<Error> {
    const { outage: policy, stopping, logger, metrics } = this.#deps;
    const record = continueOutage(outageOf(job.data), fault, Date.now(), policy);
    const log = logger.child({ jobId: job.id, task: task.name, lane: this.#lane, dependency: fault.dependency });
    const elapsed = record.last - record.since;
    if (elapsed >= policy.budgetMs) {
      this.#instrumentsFor(task.name).failed.inc();
      const message = `${fault.dependency} unavailable for ${describeDuration(elapsed)}, beyond the outage budget of ${describeDuration(policy.budgetMs)}: ${fault.reason}`;
      log.error({ since: new Date(record.since).toISOString() }, 'outage budget exhausted: job failed');
      await this.#recordFailure(
        job,
        { code: DependencyUnavailableError.code, message, context: { ...fault, budgetMs: policy.budgetMs } },
        log,
      );
      return new UnrecoverableError(message);
    }
    metrics.outagePostponements.inc({ lane: this.#lane, dependency: fault.dependency });
    log[record.faults === 1 ? 'warn' : 'debug'](
      { kind: fault.kind, reason: fault.reason, faults: record.faults },
      'dependency unavailable: job postponed, no attempt counted',
    );
    const data = withOutage(job.data, record);
    for (let tries = record.faults; ; tries++) {
      const delayMs = outageDelayMs(tries, policy);
      try {
        if (data !== undefined) await job.updateData(data);
        await job.moveToDelayed(Date.now() + delayMs, token);
        return new DelayedError();
      } catch (error) {
        const again = infrastructureFault(error);
        if (again?.dependency !== 'redis' || stopping.aborted || Date.now() - record.since >= policy.budgetMs) {
          log.warn(
            { err: { message: error instanceof Error ? error.message : String(error) } },
            'could not postpone the job: stalled-job recovery will return it to its lane',
          );
          return new DelayedError();
        }
        await sleep(delayMs, undefined, { signal: stopping }).catch(() => undefined);
      }
    }
  }

  /** A tenant's job: within its tenant's limit (postponed, not failed, when at it), counted per tenant. */
  async #attemptForTenant(task: TaskDefinition, job: Job, token: string | undefined, tenant: string): Promise<unknown> {
    const { tenantLimit, metrics, tenantJobs } = this.#deps;
    const jobId = job.id ?? '';
    if (tenantLimit !== undefined && !(await tenantLimit.acquire(tenant, jobId, task.timeoutMs))) {
      return this.#postpone(job, token, gateDelayMs());
    }
    const label = metrics.tenantLabel(tenant);
    try {
      const result = await this.#attempt(task, job, token);
      metrics.tenantJobs.labels({ tenant: label, lane: this.#lane, outcome: 'completed' }).inc();
      tenantJobs?.count(tenant, this.#lane, 'completed');
      return result;
    } catch (error) {
      // Postponed, suspended or waiting out an outage: not a failure of the tenant's job.
      if (!isHandedOver(error) && outageFault(error) === undefined) {
        metrics.tenantJobs.labels({ tenant: label, lane: this.#lane, outcome: 'failed' }).inc();
        tenantJobs?.count(tenant, this.#lane, 'failed');
      }
      throw error;
    } finally {
      await tenantLimit?.release(tenant, jobId);
    }
  }

  async #postpone(job: Job, token: string | undefined, delayMs: number): Promise<never> {
    await job.moveToDelayed(Date.now() + delayMs, token);
    throw new DelayedError();
  }

  #instrumentsFor(task: string): TaskInstruments {
    let instruments = this.#instruments.get(task);
    if (instruments === undefined) {
      const { metrics } = this.#deps;
      const lane = this.#lane;
      instruments = {
        completed: metrics.jobs.labels({ task, lane, outcome: 'completed' }),
        failed: metrics.jobs.labels({ task, lane, outcome: 'failed' }),
        retried: metrics.jobs.labels({ task, lane, outcome: 'retried' }),
        retries: metrics.retries.labels({ task, lane }),
        abandoned: metrics.jobs.labels({ task, lane, outcome: 'abandoned' }),
        duration: metrics.jobDuration.labels({ task, lane }),
      };
      this.#instruments.set(task, instruments);
    }
    return instruments;
  }

  /** Job-scoped logger, built on first use: most successful jobs never log. */
  #lazyLogger(task: TaskDefinition, job: Job): () => Logger {
    let logger: Logger | undefined;
    return () =>
      (logger ??= this.#deps.logger.child({
        jobId: job.id,
        task: task.name,
        lane: this.#lane,
        attempt: job.attemptsMade + 1,
      }));
  }

  async #attempt(task: TaskDefinition, job: Job, token: string | undefined): Promise<unknown> {
    const { metrics, inFlight, leases } = this.#deps;
    const jobId = job.id ?? '';
    const logger = this.#lazyLogger(task, job);
    const instruments = this.#instrumentsFor(task.name);
    const startedAt = performance.now();
    metrics.jobTaken();

    let payload: unknown;
    try {
      payload = parsePayload(task, payloadOf(job.data));
    } catch (error) {
      if (!(error instanceof InvalidPayloadError)) throw error;
      await this.#recordFailure(job, serializeError(error, 'TASK_FAILED'), logger());
      throw new UnrecoverableError(error.message);
    }

    const stop = new AttemptStop();
    const timer = setTimeout(() => stop.abort(new TaskTimeoutError(task.name, task.timeoutMs)), task.timeoutMs);
    inFlight.set(jobId, stop);
    leases.hold(jobId, stop);
    const active = this.#active;
    active.inc();
    try {
      const result = await this.#invoke(task, job, token, payload, stop, logger);
      instruments.completed.inc();
      instruments.duration.observe((performance.now() - startedAt) / 1000);
      return result;
    } catch (error) {
      throw await this.#translateFailure(job, token, error, logger(), instruments, startedAt);
    } finally {
      clearTimeout(timer);
      leases.release(jobId);
      inFlight.delete(jobId);
      active.dec();
    }
  }

  /** Calls the handler; its steps (children included) resume from what the job has recorded. */
  async #invoke(
    task: TaskDefinition,
    job: Job,
    token: string | undefined,
    payload: unknown,
    stop: AttemptStop,
    logger: () => Logger,
  ): Promise<unknown> {
    return stop.cutOff(task.handler(payload, this.#context(task, job, token, stop, logger)));
  }

  #context(
    task: TaskDefinition,
    job: Job,
    token: string | undefined,
    stop: AttemptStop,
    logger: () => Logger,
  ): TaskContext {
    const { client } = this.#deps;
    const lane = this.#lane;
    // Built on first use: most jobs have no steps.
    let steps: JobSteps | undefined;
    const stepsOf = (): JobSteps => (steps ??= new JobSteps(job, token, client, lane, stop.signal));
    return {
      job: { id: job.id ?? '', task: task.name, lane, attempt: job.attemptsMade + 1, tenant: tenantOf(job) },
      parent: parentOf(job, client),
      // Made on first use: most handlers never look at it.
      get signal() {
        return stop.signal;
      },
      get logger() {
        return logger();
      },
      progress: (value) => job.updateProgress(value),
      enqueue: async (contract, payload, options) => {
        const [handle] = await client.addSpecs([buildJobSpec(contract, payload, options)]);
        return { id: handle!.id, task: handle!.task, queue: handle!.queue };
      },
      step: (name, fn) => stepsOf().step(name, fn),
      awaitChildren: (children, name) => stepsOf().awaitChildren(children, name),
    };
  }

  /** Best effort: without the record a waiting client still gets the failed reason, untyped. */
  async #recordFailure(job: Job, failure: SerializedError, logger: Logger): Promise<void> {
    await recordFailure(
      this.#deps.client.queues.get(this.#lane),
      job.id ?? '',
      redact(failure) as SerializedError,
    ).catch((cause: unknown) =>
      logger.debug(
        { err: { message: cause instanceof Error ? cause.message : String(cause) } },
        'could not record the failure',
      ),
    );
  }

  /** Maps a failure onto BullMQ's vocabulary and records it. Returns the error to throw. */
  async #translateFailure(
    job: Job,
    token: string | undefined,
    error: unknown,
    logger: Logger,
    instruments: TaskInstruments,
    startedAt: number,
  ): Promise<unknown> {
    if (error instanceof WaitingChildrenError || error instanceof DelayedError) return error;
    // An outage is not the job's failure: run() postpones it.
    if (outageFault(error) !== undefined) return error;
    if (error instanceof LockLostError) {
      // Not ours any more: nothing is written for this attempt (the job's state belongs to the worker that took it over).
      instruments.abandoned.inc();
      logger.warn({ err: { message: error.message } }, 'job lock lost: attempt stopped');
      return new DelayedError();
    }
    if (error instanceof DrainDeadlineError) {
      await job.moveToWait(token);
      logger.warn('drain deadline reached: job handed back to its lane');
      return new WaitingError();
    }
    const permanent = isPermanent(error);
    const finalAttempt = permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const message = redactString(error instanceof Error ? error.message : String(error));
    (finalAttempt ? instruments.failed : instruments.retried).inc();
    instruments.duration.observe((performance.now() - startedAt) / 1000);
    if (!finalAttempt) instruments.retries.inc();
    logger.warn(
      { err: { message, code: (error as { code?: unknown }).code }, willRetry: !finalAttempt },
      'job attempt failed',
    );
    if (finalAttempt) await this.#recordFailure(job, serializeError(error, 'TASK_FAILED'), logger);
    return permanent && !(error instanceof UnrecoverableError) ? new UnrecoverableError(message) : error;
  }
}

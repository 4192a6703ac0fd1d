import { MetricsTime, Worker, type Job, type Telemetry } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Server } from 'node:http';
import { asDependencyError, definedOnly, JobCancelledError, LANES, type Lane } from '@lanes/contracts';
import {
  cancelChannel,
  closeConnection,
  createBlockingConnection,
  createProducerConnection,
  OutcomeRecorder,
  readFailure,
  setTenantWindow,
  TenantAdmission,
  type JobOutcome,
} from '@lanes/queue';
import { LanesClient } from '@lanes/client';
import type { RuntimeConfig } from '../config/runtime-config.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { LanesMetrics } from '../observability/metrics.ts';
import { readLaneDepth } from '../observability/lane-depth.ts';
import { startProbeServer, type ProbeResult, type Probes } from '../observability/http-probes.ts';
import { createTelemetry } from '../observability/tracing.ts';
import { RepeatedErrorLog } from '../observability/repeated-errors.ts';
import { DrainDeadlineError } from './errors.ts';
import { JobLeases, type Stoppable } from './job-leases.ts';
import { JobRunner } from './job-runner.ts';
import { TaskCatalog } from './task-catalog.ts';
import { TenantLimit } from './tenant-limit.ts';
import { TenantJobCounts } from './tenant-job-counts.ts';
import type { TaskDefinition } from './task.ts';

export type LaneConcurrency = Readonly<Record<Lane, number>>;

/** Critical work gets its own slots, so it never queues behind a flood of low work. */
export const DEFAULT_CONCURRENCY: LaneConcurrency = { critical: 8, default: 8, low: 4 };

export interface LanesWorkerOptions {
  readonly config: RuntimeConfig;
  readonly tasks: readonly TaskDefinition[];
  readonly lanes?: readonly Lane[];
  readonly concurrency?: number | Partial<LaneConcurrency>;
  readonly logger?: Logger;
  readonly metrics?: LanesMetrics;
  /** Extra readiness checks (e.g. PostgreSQL); each throws when not ready. */
  readonly readinessChecks?: ReadonlyArray<{ name: string; check: () => Promise<void> }>;
}

export interface DrainReport {
  /** True when every in-flight job finished before the deadline. */
  readonly drained: boolean;
  /** Jobs aborted at the deadline and put back in their lane for another worker. */
  readonly handedBack: number;
}

/** Waits for `work`, at most `ms`. */
async function within(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function resolveConcurrency(value: LanesWorkerOptions['concurrency']): LaneConcurrency {
  if (typeof value === 'number') return { critical: value, default: value, low: value };
  return { ...DEFAULT_CONCURRENCY, ...value };
}

/**
 * One worker process: a BullMQ Worker per lane it serves, sharing a task catalog. Handles
 * graceful drain with a deadline, cancellation, liveness and metrics.
 */
export class LanesWorker {
  readonly logger: Logger;
  readonly metrics: LanesMetrics;
  readonly client: LanesClient;
  readonly lanes: readonly Lane[];
  readonly #options: LanesWorkerOptions;
  readonly #concurrency: LaneConcurrency;
  readonly #producer: Redis;
  readonly #workers = new Map<Lane, { worker: Worker; connection: Redis; admission: TenantAdmission }>();
  readonly #inFlight = new Map<string, Stoppable>();
  readonly #stopping = new AbortController();
  readonly #telemetry: Telemetry | undefined;
  #subscriber: Redis | undefined;
  #probeServer: Server | undefined;
  #startedAt = Date.now();
  #closing: Promise<DrainReport> | undefined;
  /** Connection errors repeat several times a second while Redis is down: one line per window. */
  #errorLog: RepeatedErrorLog;
  #producerError: Error | undefined;
  readonly #outcomes: OutcomeRecorder;
  readonly #tenantJobs: TenantJobCounts;

  constructor(options: LanesWorkerOptions) {
    this.#options = options;
    this.lanes = options.lanes ?? LANES;
    this.#concurrency = resolveConcurrency(options.concurrency);
    this.logger = options.logger ?? createLogger(options.config.logLevel, { component: 'worker' });
    this.metrics = options.metrics ?? new LanesMetrics();
    this.#telemetry = createTelemetry(options.config);
    this.client = new LanesClient({
      redisUrl: options.config.redisUrl,
      prefix: options.config.prefix,
      ...definedOnly({ telemetry: this.#telemetry }),
    });
    this.#producer = createProducerConnection(options.config.redisUrl);
    // What the producer last reported while down: the cause behind ioredis's generic "max retries".
    this.#producer.on('error', (error: Error) => (this.#producerError = error));
    this.#producer.on('ready', () => (this.#producerError = undefined));
    this.#errorLog = new RepeatedErrorLog(this.logger);
    this.#outcomes = new OutcomeRecorder(
      this.#producer,
      this.client.prefix,
      options.config.outcomeTtlMs,
      (error, count) =>
        this.logger.debug(
          { jobs: count, err: { message: error instanceof Error ? error.message : String(error) } },
          'could not keep the job outcomes',
        ),
    );
    this.#tenantJobs = new TenantJobCounts(this.#producer, this.client.prefix, (error) =>
      this.#errorLog.report('warn', { err: { message: this.#describe(error) } }, 'could not record tenant job counts'),
    );
  }

  async start(): Promise<void> {
    const { config, tasks } = this.#options;
    const catalog = new TaskCatalog(tasks, this.#producer, this.client.prefix);
    const deps = {
      catalog,
      client: this.client,
      logger: this.logger,
      metrics: this.metrics,
      inFlight: this.#inFlight,
      outage: config.outage,
      stopping: this.#stopping.signal,
      tenantJobs: this.#tenantJobs,
      ...(config.tenantConcurrency > 0 && {
        tenantLimit: new TenantLimit(
          this.#producer,
          this.client.prefix,
          config.tenantConcurrency,
          config.lockDurationMs,
        ),
      }),
    };
    this.#startedAt = Date.now();
    for (const lane of this.lanes) {
      const leases = new JobLeases(config.lockDurationMs);
      const runner = new JobRunner(lane, { ...deps, leases });
      const connection = createBlockingConnection(config.redisUrl);
      const worker = new Worker(lane, (job, token) => runner.run(job, token), {
        connection,
        prefix: this.client.prefix,
        concurrency: this.#concurrency[lane],
        lockDuration: config.lockDurationMs,
        stalledInterval: config.stalledIntervalMs,
        maxStalledCount: config.maxStalledCount,
        // Per-minute completed/failed counts in Redis: cross-process throughput for the dashboard.
        metrics: { maxDataPoints: MetricsTime.ONE_WEEK },
        ...definedOnly({ telemetry: this.#telemetry }),
        autorun: false,
      });
      worker.on('stalled', (jobId) => {
        this.metrics.stalled.inc({ lane });
        this.logger.warn({ jobId, lane }, 'stalled job recovered');
      });
      worker.on('locksRenewed', ({ jobIds }) => leases.renewed(jobIds));
      worker.on('error', (error) =>
        this.#errorLog.report('error', { lane, err: { message: this.#describe(error) } }, 'worker error'),
      );
      // Emitted once BullMQ has recorded the end: retries are not ends (no finishedOn yet).
      worker.on('completed', (job, result) => this.#keepOutcome(lane, job, { state: 'completed', result }));
      worker.on('failed', (job, error) => {
        if (job?.finishedOn !== undefined)
          this.#keepOutcome(lane, job, { state: 'failed', failedReason: job.failedReason ?? error.message });
      });
      const admission = new TenantAdmission(this.#producer, this.client.queues.get(lane), this.client.prefix, lane, {
        onError: (error) =>
          this.#errorLog.report('warn', { lane, err: { message: this.#describe(error) } }, 'tenant admission failed'),
      });
      worker.on('active', () => admission.jobStarted());
      this.#workers.set(lane, { worker, connection, admission });
    }
    try {
      await setTenantWindow(this.#producer, this.client.prefix, config.tenantWindow);
    } catch (error) {
      throw this.#named(error);
    }
    for (const { admission } of this.#workers.values()) admission.start();
    this.#tenantJobs.start();
    await this.#subscribeToCancellations();
    for (const { worker } of this.#workers.values()) void worker.run();
    await Promise.all([...this.#workers.values()].map(({ worker }) => worker.waitUntilReady()));
    this.logger.info({ lanes: this.lanes, concurrency: this.#concurrency, tasks: catalog.names() }, 'worker started');
  }

  /** A Redis outage as DependencyUnavailableError naming Redis, its URL and the cause. */
  #named(error: unknown): unknown {
    return asDependencyError(error, 'redis', {
      url: this.#options.config.redisUrl,
      ...definedOnly({ lastConnectionError: this.#producerError }),
    });
  }

  /** An error's message for the log. */
  #describe(error: unknown): string {
    const named = this.#named(error);
    return named instanceof Error ? named.message : String(named);
  }

  /** Best effort: a lost outcome record only means a late wait is told the job is no longer known. */
  #keepOutcome(lane: Lane, job: Job, end: Pick<JobOutcome, 'state' | 'result' | 'failedReason'>): void {
    const id = job.id ?? '';
    const outcome: JobOutcome = {
      ...end,
      task: job.name,
      attemptsMade: job.attemptsMade,
      finishedOn: job.finishedOn ?? Date.now(),
    };
    if (end.state !== 'failed') {
      this.#outcomes.record(lane, id, outcome);
      return;
    }
    // The typed failure the runner wrote into the job's hash: the outcome keeps it past retention.
    readFailure(this.client.queues.get(lane), id).then(
      (failure) => this.#outcomes.record(lane, id, { ...outcome, ...definedOnly({ failure }) }),
      (error: unknown) =>
        this.logger.debug(
          { jobId: id, err: { message: error instanceof Error ? error.message : String(error) } },
          'could not keep the job outcome',
        ),
    );
  }

  async #subscribeToCancellations(): Promise<void> {
    const subscriber = createBlockingConnection(this.#options.config.redisUrl);
    this.#subscriber = subscriber;
    await subscriber.subscribe(cancelChannel(this.client.prefix));
    // Our own in-flight controllers, not BullMQ's per-job signals: one fewer AbortController
    // and listener pair on every job's path.
    subscriber.on('message', (_channel: string, jobId: string) => {
      const controller = this.#inFlight.get(jobId);
      if (controller === undefined) return;
      controller.abort(new JobCancelledError(jobId, 'cancelled by client'));
      this.logger.info({ jobId }, 'job cancelled');
    });
  }

  /** Starts the `/metrics`, `/healthz`, `/readyz` server. */
  async listen(port: number): Promise<number> {
    this.#probeServer = await startProbeServer(port, this.metrics, this.probes());
    const address = this.#probeServer.address();
    return typeof address === 'object' && address !== null ? address.port : port;
  }

  probes(): Probes {
    return {
      liveness: () => this.#liveness(),
      readiness: () => this.#readiness(),
      beforeScrape: () => this.#refreshDepthGauges(),
    };
  }

  async #refreshDepthGauges(): Promise<void> {
    const depths = await Promise.all(this.lanes.map((lane) => readLaneDepth(lane, this.client.queues.get(lane))));
    for (const depth of depths) {
      for (const [state, count] of Object.entries(depth.counts))
        this.metrics.laneDepth.set({ lane: depth.lane, state }, count);
      this.metrics.laneBacklog.set({ lane: depth.lane }, depth.backlog);
    }
  }

  /**
   * Alive unless wedged: work is ready in a lane we serve, we have free slots, and yet no job
   * was taken for a whole liveness window (a blocked event loop or a dead connection).
   */
  async #liveness(): Promise<ProbeResult> {
    if (this.#closing !== undefined) return { ok: true, detail: { draining: true } };
    const lastTaken = (await this.metrics.lastJobTimestamp.get()).values[0]?.value;
    const lastActivityMs = Math.max(this.#startedAt, (lastTaken ?? 0) * 1000);
    const idleMs = Date.now() - lastActivityMs;
    if (idleMs < this.#options.config.livenessWindowMs) return { ok: true, detail: { idleMs } };
    const depths = await Promise.all(this.lanes.map((lane) => readLaneDepth(lane, this.client.queues.get(lane))));
    const ready = depths.reduce((sum, depth) => sum + depth.counts.waiting + depth.counts.prioritized, 0);
    const freeSlots = this.lanes.reduce((sum, lane) => sum + this.#concurrency[lane], 0) - this.#inFlight.size;
    const wedged = ready > 0 && freeSlots > 0;
    return {
      ok: !wedged,
      detail: { idleMs, readyJobs: ready, freeSlots, ...(wedged && { reason: 'jobs are ready but none was taken' }) },
    };
  }

  async #readiness(): Promise<ProbeResult> {
    const checks: Record<string, string> = {};
    let ok = true;
    const run = async (name: string, check: () => Promise<unknown>): Promise<void> => {
      try {
        await check();
        checks[name] = 'ok';
      } catch (error) {
        ok = false;
        checks[name] = error instanceof Error ? error.message : String(error);
      }
    };
    await Promise.all([
      run('redis', () => this.#producer.ping()),
      ...(this.#options.readinessChecks ?? []).map((c) => run(c.name, c.check)),
    ]);
    if (this.#closing !== undefined) ok = false;
    return { ok, detail: { checks } };
  }

  /** Stops taking new jobs (in-flight ones go on) until `resume()`, e.g. for maintenance. */
  async pause(): Promise<void> {
    await Promise.all([...this.#workers.values()].map(({ worker }) => worker.pause(true)));
  }

  resume(): void {
    for (const { worker } of this.#workers.values()) worker.resume();
  }

  /** Jobs running in this process right now. */
  get activeJobs(): number {
    return this.#inFlight.size;
  }

  /**
   * Stops taking jobs and waits for in-flight ones up to the drain deadline; then aborts the
   * rest and hands them back to their lanes at once (no waiting for a lock to expire).
   */
  close(deadlineMs = this.#options.config.drainTimeoutMs): Promise<DrainReport> {
    this.#closing ??= this.#drain(deadlineMs);
    return this.#closing;
  }

  async #drain(deadlineMs: number): Promise<DrainReport> {
    this.logger.info({ inFlight: this.#inFlight.size, deadlineMs }, 'draining');
    this.#stopping.abort();
    if (this.#subscriber !== undefined) await closeConnection(this.#subscriber);
    await Promise.all([...this.#workers.values()].map(({ admission }) => admission.stop()));
    const closing = Promise.all([...this.#workers.values()].map(({ worker }) => worker.close()));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), deadlineMs);
    });
    const outcome = await Promise.race([closing.then(() => 'drained' as const), deadline]);
    clearTimeout(timer);
    let handedBack = 0;
    if (outcome === 'deadline') {
      for (const [jobId, controller] of this.#inFlight) {
        controller.abort(new DrainDeadlineError(jobId));
        handedBack += 1;
      }
      await within(closing, 5000);
      // Bounded too: with Redis down even a forced close can wait on its connection.
      await within(Promise.all([...this.#workers.values()].map(({ worker }) => worker.close(true))), 5000);
    }
    await Promise.all([...this.#workers.values()].map(({ connection }) => closeConnection(connection)));
    // Bounded: with Redis down the last outcomes are lost, not waited for.
    await within(this.#outcomes.flush(), 2000);
    await this.client.close();
    await this.#tenantJobs.stop();
    await closeConnection(this.#producer);
    await new Promise<void>((resolve) => (this.#probeServer ? this.#probeServer.close(() => resolve()) : resolve()));
    this.#errorLog.close();
    const report = { drained: outcome === 'drained', handedBack };
    this.logger.info(report, 'worker stopped');
    return report;
  }
}

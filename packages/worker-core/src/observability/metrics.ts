import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Tenants named in metrics per process; the rest are counted as `other` (bounded cardinality). */
const TENANT_LABELS = 20;

const MISNAMED_DEFAULT_GAUGES = [
  'lanes_nodejs_active_handles_total',
  'lanes_nodejs_active_requests_total',
  'lanes_nodejs_active_resources_total',
];

/** A gauge without labels whose value is read from `sample` when collected (undefined: no value yet). */
function sampledGauge(registry: Registry, name: string, help: string, sample: () => number | undefined): Gauge {
  return new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      const value = sample();
      if (value !== undefined) this.set(value);
    },
  });
}

/**
 * Every Lanes metric lives in one registry per process. Labels are bounded sets (task, lane,
 * outcome, provider, model): never job ids or document names.
 */
export class LanesMetrics {
  readonly registry = new Registry();

  readonly jobs = this.counter(
    'lanes_jobs_total',
    'Job attempts finished, by task, lane and outcome (completed, failed, retried)',
    ['task', 'lane', 'outcome'],
  );
  readonly jobDuration = this.histogram(
    'lanes_job_duration_seconds',
    'Duration of job attempts',
    [0.001, 0.005, 0.02, 0.1, 0.5, 1, 2.5, 5, 15, 60, 300],
    ['task', 'lane'],
  );
  readonly retries = this.counter('lanes_job_retries_total', 'Failed attempts that will be retried', ['task', 'lane']);
  readonly outagePostponements = this.counter(
    'lanes_outage_postponements_total',
    'Attempts put back (no attempt counted) because Redis or PostgreSQL was unavailable',
    ['lane', 'dependency'],
  );
  readonly active = this.gauge('lanes_active_jobs', 'Jobs running in this process', ['lane']);
  readonly stalled = this.counter(
    'lanes_stalled_jobs_total',
    'Jobs recovered from a worker that stopped renewing their lock (crash or blocked loop)',
    ['lane'],
  );
  /** When this process last took a job (ms): a plain number on the per-job path, read per scrape. */
  #lastJobAt = 0;
  readonly lastJobTimestamp = sampledGauge(
    this.registry,
    'lanes_worker_last_job_timestamp_seconds',
    'Unix time at which this process last took a job',
    () => (this.#lastJobAt > 0 ? this.#lastJobAt / 1000 : undefined),
  );
  readonly laneDepth = this.gauge('lanes_lane_depth', 'Jobs in each lane by state', ['lane', 'state']);
  /** Per tenant, bounded: the first TENANT_LABELS tenants this process sees, then `other`. */
  readonly tenantJobs = this.counter(
    'lanes_tenant_jobs_total',
    'Job attempts finished per tenant (first tenants seen by name, the rest as "other"), lane and outcome',
    ['tenant', 'lane', 'outcome'],
  );
  readonly #tenantLabels = new Set<string>();

  /** The label for a tenant: its name while fewer than TENANT_LABELS are named, else `other`. */
  tenantLabel(tenant: string): string {
    if (this.#tenantLabels.has(tenant)) return tenant;
    if (this.#tenantLabels.size >= TENANT_LABELS) return 'other';
    this.#tenantLabels.add(tenant);
    return tenant;
  }

  readonly laneBacklog = this.gauge(
    'lanes_lane_backlog',
    'Jobs waiting to run in each lane: waiting + prioritized + delayed (autoscale on this)',
    ['lane'],
  );

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics !== false) {
      collectDefaultMetrics({ register: this.registry, prefix: 'lanes_' });
      // prom-client names three gauges `*_total`, which the exposition format reserves for
      // counters (promtool rejects them); the same values exist without the suffix.
      for (const name of MISNAMED_DEFAULT_GAUGES) this.registry.removeSingleMetric(name);
    }
  }

  /** A job was taken: the liveness probe and the last-job gauge read this. */
  jobTaken(): void {
    this.#lastJobAt = Date.now();
  }

  /** Lets adapters (embeddings, search, index builds) add their metrics to the same registry. */
  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return (
      (this.registry.getSingleMetric(name) as Counter<L> | undefined) ??
      new Counter({ name, help, labelNames, registers: [this.registry] })
    );
  }

  gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return (
      (this.registry.getSingleMetric(name) as Gauge<L> | undefined) ??
      new Gauge({ name, help, labelNames, registers: [this.registry] })
    );
  }

  histogram<L extends string>(
    name: string,
    help: string,
    buckets: number[],
    labelNames: readonly L[] = [],
  ): Histogram<L> {
    return (
      (this.registry.getSingleMetric(name) as Histogram<L> | undefined) ??
      new Histogram({ name, help, buckets, labelNames, registers: [this.registry] })
    );
  }
}

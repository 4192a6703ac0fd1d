import { cpus } from 'node:os';
import type { BenchOptions, BenchRow, SuiteResult } from '../lib/types.ts';
import { CpuWatch } from '../lib/cpu-watch.ts';
import { redisPid } from '../lib/redis-pid.ts';
import { percentile, ratio, round } from '../lib/stats.ts';
import { bullmqSide } from './lane-priority/bullmq-side.ts';
import { lanesSide } from './lane-priority/lanes-side.ts';
import type { PriorityOutcome, PrioritySide, PrioritySizes } from './lane-priority/side.ts';

/** Issue 10: critical waits at or below the one-queue priority baseline and under this. */
const TARGET_MS = 10;
const BASELINE = 'raw BullMQ, one queue, priority 1';
const FIFO = 'raw BullMQ, one queue, FIFO';

function sizes(quick: boolean): PrioritySizes {
  return quick
    ? {
        backlog: 1_000,
        lowWorkMs: 3,
        criticals: 20,
        criticalEveryMs: 25,
        concurrency: 32,
        criticalSlots: 4,
        settleMs: 10_000,
        chunk: 500,
      }
    : {
        backlog: 50_000,
        lowWorkMs: 5,
        criticals: 200,
        criticalEveryMs: 40,
        concurrency: 32,
        criticalSlots: 4,
        settleMs: 60_000,
        chunk: 1_000,
      };
}

/**
 * Second scenario, not in --quick: low jobs as long as real ingest work. A shared queue with
 * priorities frees a slot only every lowWorkMs / concurrency, and critical jobs wait for it.
 */
const LONG: PrioritySizes = {
  backlog: 2_000,
  lowWorkMs: 2_000,
  criticals: 100,
  criticalEveryMs: 80,
  concurrency: 32,
  criticalSlots: 4,
  settleMs: 30_000,
  chunk: 1_000,
};

interface SideResult {
  readonly key: string;
  readonly name: string;
  readonly outcome: PriorityOutcome;
  readonly foreignCores: number | null;
}

type MakeSide = (redisUrl: string, prefix: string) => PrioritySide;
const TENANTS = 10;
const SIDES: ReadonlyArray<{ key: string; make: MakeSide }> = [
  { key: 'lanes', make: (url, prefix) => lanesSide(url, prefix) },
  { key: 'lanes-tenants', make: (url, prefix) => lanesSide(url, prefix, { tenants: TENANTS }) },
  { key: 'lanes-split', make: (url, prefix) => lanesSide(url, prefix, { split: true }) },
  { key: 'bullmq-priority', make: (url, prefix) => bullmqSide(url, prefix, 'priority') },
  { key: 'bullmq-fifo', make: (url, prefix) => bullmqSide(url, prefix, 'fifo') },
];

async function runSide(
  make: MakeSide,
  key: string,
  options: BenchOptions,
  size: PrioritySizes,
  watch: CpuWatch,
): Promise<SideResult> {
  const cores = cpus().length;
  const side = make(options.redisUrl, `${options.runId}-lp-${key}`);
  try {
    await side.fill(size);
    if (!options.quick) await watch.waitForQuiet(cores, 0.3, 5_000);
    const from = watch.snapshot();
    const outcome = await side.measure(size);
    return { key, name: side.name, outcome, foreignCores: CpuWatch.foreignCores(from, watch.snapshot(), cores) };
  } finally {
    await side.dispose();
  }
}

/** Percentile of the critical waits; null when some job never started within the settle time. */
function pct(result: SideResult | undefined, p: number): number | null {
  if (result === undefined) return null;
  const value = percentile(result.outcome.criticalWaitsMs, p);
  return Number.isFinite(value) ? round(value) : null;
}

function summary(r: SideResult): Record<string, unknown> {
  return {
    name: r.name,
    p50: pct(r, 50),
    p95: pct(r, 95),
    p99: pct(r, 99),
    max: pct(r, 100),
    neverStarted: r.outcome.criticalWaitsMs.filter((w) => !Number.isFinite(w)).length,
    lowPerSecond: round(r.outcome.lowPerSecond),
    backlogAtLastCritical: r.outcome.backlogAtLastCritical,
    foreignCores: round(r.foreignCores),
  };
}

/** `short`: at or below the baseline and under TARGET_MS; `lead`: at or below the baseline (behind long low jobs). */
type WaitTarget = 'none' | 'short' | 'lead';

function waitRow(
  metric: string,
  p: number,
  results: Map<string, SideResult>,
  target: WaitTarget,
  key = 'lanes',
): BenchRow {
  const lanes = pct(results.get(key), p);
  const baseline = pct(results.get('bullmq-priority'), p);
  const fifo = results.get('bullmq-fifo');
  return {
    metric,
    unit: 'ms',
    lanes,
    baseline,
    baselineName: BASELINE,
    ratio: ratio(lanes, baseline),
    target: target === 'short' ? `<= baseline and < ${TARGET_MS} ms` : target === 'lead' ? '<= baseline' : '',
    met:
      target === 'none'
        ? null
        : lanes !== null && (baseline === null || lanes <= baseline) && (target === 'lead' || lanes < TARGET_MS),
    ...(fifo !== undefined && { others: [{ name: FIFO, value: pct(fifo, p) }] }),
  };
}

/** Lanes with tenants against Lanes without, same run: fair share should cost critical work nothing. */
function tenantRow(metric: string, withTenants: number | null, without: number | null, unit: string): BenchRow {
  return {
    metric,
    unit,
    lanes: withTenants,
    baseline: without,
    baselineName: 'Lanes without tenants',
    ratio: ratio(withTenants, without),
    target: '',
    met: null,
  };
}

async function scenario(
  options: BenchOptions,
  size: PrioritySizes,
  sides: typeof SIDES,
  label: string,
  watch: CpuWatch,
): Promise<Map<string, SideResult>> {
  const results = new Map<string, SideResult>();
  for (const { key, make } of sides) {
    options.log(
      `lane-priority: ${label}${key}: ${size.backlog} low jobs of ${size.lowWorkMs} ms ± 50 %, ${size.criticals} critical jobs every ${size.criticalEveryMs} ms`,
    );
    const result = await runSide(make, `${label}${key}`, options, size, watch);
    results.set(key, result);
    const s = summary(result);
    options.log(
      `lane-priority: ${label}${key}: p50 ${s.p50} ms, p95 ${s.p95} ms, p99 ${s.p99} ms, low ${s.lowPerSecond} jobs/s, backlog left ${s.backlogAtLastCritical}, never started ${s.neverStarted}`,
    );
  }
  return results;
}

/**
 * Lane priority: with a backlog of low jobs being processed, critical jobs are sent at a steady
 * rate and their wait (enqueue call to handler start) is measured. Lanes keeps them in their own
 * lane; the baselines put everything in one BullMQ queue, with and without priorities.
 */
export async function run(options: BenchOptions): Promise<SuiteResult> {
  const startedAt = Date.now();
  const size = sizes(options.quick);
  const pid = await redisPid(options.redisUrl);
  const watch = new CpuWatch(pid === undefined ? [] : [pid]);
  const results = await scenario(options, size, SIDES, '', watch);
  const long = options.quick
    ? new Map<string, SideResult>()
    : await scenario(
        options,
        LONG,
        SIDES.filter((s) => s.key === 'lanes' || s.key === 'bullmq-priority'),
        'long-',
        watch,
      );

  const low = (key: string): number | null => round(results.get(key)?.outcome.lowPerSecond);
  const drained = [...results.values()].filter((r) => r.outcome.backlogAtLastCritical === 0).map((r) => r.name);
  const rows: BenchRow[] = [
    waitRow('critical wait p50', 50, results, 'none'),
    waitRow('critical wait p95', 95, results, 'short'),
    waitRow('critical wait p99', 99, results, 'short'),
    {
      ...waitRow('critical wait p95, critical lane in its own process', 95, results, 'short', 'lanes-split'),
      note: `lanes worker --queues critical apart from the low lane's worker; p99: ${pct(results.get('lanes-split'), 99)} ms`,
    },
    {
      metric: 'low jobs started meanwhile',
      unit: 'jobs/s',
      lanes: low('lanes'),
      baseline: low('bullmq-priority'),
      baselineName: BASELINE,
      ratio: ratio(low('lanes'), low('bullmq-priority')),
      target: '',
      met: null,
      others: [{ name: FIFO, value: low('bullmq-fifo') }],
      note: `Lanes runs low work on ${size.concurrency - size.criticalSlots} of the ${size.concurrency} slots`,
    },
    tenantRow(
      `critical wait p95, low jobs of ${TENANTS} tenants`,
      pct(results.get('lanes-tenants'), 95),
      pct(results.get('lanes'), 95),
      'ms',
    ),
    tenantRow(`low jobs started meanwhile, ${TENANTS} tenants`, low('lanes-tenants'), low('lanes'), 'jobs/s'),
  ];
  if (long.size > 0) {
    rows.push({
      ...waitRow(`critical wait p95, ${LONG.lowWorkMs / 1000} s low jobs`, 95, long, 'lead'),
      note: `p99: ${pct(long.get('lanes'), 99)} vs ${pct(long.get('bullmq-priority'), 99)} ms`,
    });
  }
  return {
    suite: 'lane-priority',
    title: 'Critical wait behind a low-lane backlog',
    rows,
    params: {
      ...size,
      sides: Object.fromEntries([...results].map(([key, r]) => [key, summary(r)])),
      long: { ...LONG, sides: Object.fromEntries([...long].map(([key, r]) => [key, summary(r)])) },
    },
    notes: [
      `${size.backlog} low jobs of ${size.lowWorkMs} ms ± 50 % each, then ${size.criticals} critical jobs sent every ${size.criticalEveryMs} ms from the same process; ` +
        `total concurrency ${size.concurrency} for every side (Lanes: ${size.criticalSlots} critical + ${size.concurrency - size.criticalSlots} low; ` +
        'one process serving both lanes, and split: the critical lane in a second process, as `lanes worker --queues critical` deploys it). ' +
        'Wait = enqueue call to handler start. In the one-queue baseline low jobs carry priority 10, since BullMQ serves jobs without a priority before prioritized ones.',
      ...(long.size > 0
        ? [
            `With ${LONG.lowWorkMs / 1000} s ± 50 % low jobs (${LONG.backlog} of them) a shared queue frees a slot only every ${Math.round(LONG.lowWorkMs / LONG.concurrency)} ms on average (less evenly at first, as the first ${LONG.concurrency} start together), and a critical job waits for one: priority alone no longer keeps critical waits short.`,
          ]
        : []),
      ...(drained.length > 0
        ? [
            `the backlog ran out before the last critical job was sent for: ${drained.join(', ')} (the wait figures then understate the problem)`,
          ]
        : []),
    ],
    durationMs: Date.now() - startedAt,
  };
}

import { cpus } from 'node:os';
import type { BenchOptions, BenchRow, SuiteResult } from '../lib/types.ts';
import { CpuWatch } from '../lib/cpu-watch.ts';
import { redisPid } from '../lib/redis-pid.ts';
import { percentile, ratio, round } from '../lib/stats.ts';
import { bullmqSide } from './lane-priority/bullmq-side.ts';
import { lanesSide } from './lane-priority/lanes-side.ts';
import type { PriorityOutcome, PrioritySide, PrioritySizes } from './lane-priority/side.ts';

const TARGET_P95_MS = 50;

function sizes(quick: boolean): PrioritySizes {
  return quick
    ? { backlog: 1_000, lowWorkMs: 3, criticals: 20, criticalEveryMs: 25, concurrency: 32, criticalSlots: 4, settleMs: 10_000, chunk: 500 }
    : { backlog: 50_000, lowWorkMs: 5, criticals: 200, criticalEveryMs: 40, concurrency: 32, criticalSlots: 4, settleMs: 60_000, chunk: 1_000 };
}

interface SideResult {
  readonly key: string;
  readonly name: string;
  readonly outcome: PriorityOutcome;
  readonly foreignCores: number | null;
}

const SIDES: ReadonlyArray<{ key: string; make: (redisUrl: string, prefix: string) => PrioritySide }> = [
  { key: 'lanes', make: lanesSide },
  { key: 'bullmq-priority', make: (url, prefix) => bullmqSide(url, prefix, 'priority') },
  { key: 'bullmq-fifo', make: (url, prefix) => bullmqSide(url, prefix, 'fifo') },
];

async function runSide(make: (redisUrl: string, prefix: string) => PrioritySide, key: string, options: BenchOptions, size: PrioritySizes, watch: CpuWatch): Promise<SideResult> {
  const cores = cpus().length;
  const side = make(options.redisUrl, `${options.runId}-lp-${key}`);
  try {
    await side.fill(size);
    await watch.waitForQuiet(cores, 0.3, 15_000);
    const from = watch.snapshot();
    const outcome = await side.measure(size);
    return { key, name: side.name, outcome, foreignCores: CpuWatch.foreignCores(from, watch.snapshot(), cores) };
  } finally {
    await side.dispose();
  }
}

function pct(result: SideResult | undefined, p: number): number | null {
  if (result === undefined) return null;
  const value = percentile(result.outcome.criticalWaitsMs, p);
  return Number.isFinite(value) ? round(value) : null;
}

function waitRow(p: number, results: Map<string, SideResult>, settleMs: number): BenchRow {
  const lanes = pct(results.get('lanes'), p);
  const baseline = pct(results.get('bullmq-priority'), p);
  const fifo = results.get('bullmq-fifo');
  const fifoValue = pct(fifo, p);
  const isTarget = p === 95;
  return {
    metric: `critical wait p${p}`,
    unit: 'ms',
    lanes,
    baseline,
    baselineName: 'raw BullMQ, one queue, priority 1',
    ratio: ratio(lanes, baseline),
    target: isTarget ? `< ${TARGET_P95_MS} ms` : '',
    met: isTarget ? (lanes === null ? false : lanes < TARGET_P95_MS) : null,
    others: [{ name: 'raw BullMQ, one queue, FIFO', value: fifoValue }],
    ...(fifo !== undefined && fifoValue === null && { note: `FIFO: some critical jobs had not started ${settleMs / 1000} s after the last was sent` }),
  };
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
  const results = new Map<string, SideResult>();
  for (const { key, make } of SIDES) {
    options.log(`lane-priority: ${key}: ${size.backlog} low jobs, then ${size.criticals} critical jobs every ${size.criticalEveryMs} ms`);
    const result = await runSide(make, key, options, size, watch);
    results.set(key, result);
    const waits = result.outcome.criticalWaitsMs;
    options.log(
      `lane-priority: ${key}: p50 ${pct(result, 50)} ms, p95 ${pct(result, 95)} ms, p99 ${pct(result, 99)} ms, ` +
        `low ${Math.round(result.outcome.lowPerSecond)} jobs/s, backlog left ${result.outcome.backlogAtLastCritical}, ` +
        `never started ${waits.filter((w) => !Number.isFinite(w)).length}`,
    );
  }
  const low = (key: string): number | null => round(results.get(key)?.outcome.lowPerSecond);
  const lanesLow = low('lanes');
  const baseLow = low('bullmq-priority');
  const drained = [...results.values()].filter((r) => r.outcome.backlogAtLastCritical === 0).map((r) => r.name);
  return {
    suite: 'lane-priority',
    title: 'Critical wait behind a low-lane backlog',
    rows: [
      waitRow(50, results, size.settleMs),
      waitRow(95, results, size.settleMs),
      waitRow(99, results, size.settleMs),
      {
        metric: 'low jobs started meanwhile',
        unit: 'jobs/s',
        lanes: lanesLow,
        baseline: baseLow,
        baselineName: 'raw BullMQ, one queue, priority 1',
        ratio: ratio(lanesLow, baseLow),
        target: '',
        met: null,
        others: [{ name: 'raw BullMQ, one queue, FIFO', value: low('bullmq-fifo') }],
        note: `Lanes runs low work on ${size.concurrency - size.criticalSlots} of the ${size.concurrency} slots`,
      },
    ],
    params: {
      ...size,
      sides: Object.fromEntries(
        [...results].map(([key, r]) => [
          key,
          {
            name: r.name,
            p50: pct(r, 50),
            p95: pct(r, 95),
            p99: pct(r, 99),
            max: pct(r, 100),
            neverStarted: r.outcome.criticalWaitsMs.filter((w) => !Number.isFinite(w)).length,
            lowPerSecond: round(r.outcome.lowPerSecond),
            backlogAtLastCritical: r.outcome.backlogAtLastCritical,
            foreignCores: round(r.foreignCores),
          },
        ]),
      ),
    },
    notes: [
      `${size.backlog} low jobs of ${size.lowWorkMs} ms each, then ${size.criticals} critical jobs sent every ${size.criticalEveryMs} ms from the same process; ` +
        `total concurrency ${size.concurrency} for every side (Lanes: ${size.criticalSlots} critical + ${size.concurrency - size.criticalSlots} low).`,
      ...(drained.length > 0 ? [`the backlog ran out before the last critical job was sent for: ${drained.join(', ')} (the wait figures then understate the problem)`] : []),
    ],
    durationMs: Date.now() - startedAt,
  };
}

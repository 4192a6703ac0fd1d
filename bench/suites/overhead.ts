import type { BenchOptions, BenchRow, SuiteResult } from '../lib/types.ts';
import { median, ratio, round } from '../lib/stats.ts';
import { beeSide } from './overhead/bee-side.ts';
import { bullmqSide } from './overhead/bullmq-side.ts';
import { lanesSide } from './overhead/lanes-side.ts';
import type { OverheadSide, SideFactoryOptions } from './overhead/side.ts';

const TARGET = 0.95;

interface Sizes {
  readonly jobs: number;
  readonly reps: number;
  readonly warmupJobs: number;
  readonly concurrency: number;
  readonly chunk: number;
}

function sizes(quick: boolean): Sizes {
  return quick
    ? { jobs: 500, reps: 1, warmupJobs: 0, concurrency: 50, chunk: 250 }
    : { jobs: 20_000, reps: 3, warmupJobs: 3_000, concurrency: 50, chunk: 1_000 };
}

type Factory = (options: SideFactoryOptions) => OverheadSide;
const FACTORIES: ReadonlyArray<readonly [string, Factory]> = [
  ['lanes', lanesSide],
  ['bullmq', bullmqSide],
  ['bee', beeSide],
];

interface Sample {
  enqueue: number;
  process: number;
}

/** One repetition of one side, on keys of its own, always cleaned up. */
async function measure(factory: Factory, options: BenchOptions, key: string, size: Sizes, jobs: number): Promise<Sample> {
  const side = factory({ redisUrl: options.redisUrl, prefix: `${options.runId}-oh-${key}` });
  try {
    const enqueue = await side.enqueue(jobs, size.chunk);
    const process = await side.process(jobs, size.concurrency, Math.max(30_000, jobs * 5));
    return { enqueue, process };
  } finally {
    await side.dispose();
  }
}

function row(metric: string, samples: Map<string, Sample[]>, pick: (s: Sample) => number, note: string): BenchRow {
  const value = (name: string): number | null => {
    const list = samples.get(name) ?? [];
    return list.length === 0 ? null : round(median(list.map(pick)));
  };
  const lanes = value('lanes');
  const baseline = value('bullmq');
  const r = ratio(lanes, baseline);
  return {
    metric,
    unit: 'jobs/s',
    lanes,
    baseline,
    baselineName: 'raw BullMQ',
    ratio: r,
    target: `ratio >= ${TARGET}`,
    met: r === null ? null : r >= TARGET,
    others: [{ name: 'bee-queue', value: value('bee') }],
    note,
  };
}

/**
 * Framework overhead: no-op jobs through Lanes against raw BullMQ (and bee-queue) on the same
 * Redis at the same concurrency in one process. Sides alternate within each repetition, the
 * starting side rotating, and the median of the repetitions is reported.
 */
export async function run(options: BenchOptions): Promise<SuiteResult> {
  const startedAt = Date.now();
  const size = sizes(options.quick);
  const samples = new Map<string, Sample[]>(FACTORIES.map(([name]) => [name, []]));
  if (size.warmupJobs > 0) {
    options.log(`overhead: warm-up, ${size.warmupJobs} jobs per side`);
    for (const [name, factory] of FACTORIES) await measure(factory, options, `w-${name}`, size, size.warmupJobs);
  }
  for (let rep = 0; rep < size.reps; rep++) {
    const order = FACTORIES.map((_, i) => FACTORIES[(i + rep) % FACTORIES.length]!);
    for (const [name, factory] of order) {
      const sample = await measure(factory, options, `${rep}-${name}`, size, size.jobs);
      samples.get(name)!.push(sample);
      options.log(`overhead: rep ${rep + 1}/${size.reps} ${name}: enqueue ${Math.round(sample.enqueue)} jobs/s, process ${Math.round(sample.process)} jobs/s`);
    }
  }
  const raw = Object.fromEntries([...samples].map(([name, list]) => [name, list.map((s) => ({ enqueue: round(s.enqueue), process: round(s.process) }))]));
  return {
    suite: 'overhead',
    title: 'Framework overhead (no-op jobs, one process)',
    rows: [
      row('processing throughput', samples, (s) => s.process, `concurrency ${size.concurrency}, ${size.jobs} jobs, median of ${size.reps}`),
      row('bulk enqueue throughput', samples, (s) => s.enqueue, `addBulk in chunks of ${size.chunk}, ${size.jobs} jobs, median of ${size.reps}`),
    ],
    params: { ...size, samples: raw },
    notes: [
      'Raw BullMQ uses the same retention (removeOnComplete/removeOnFail) as Lanes; bee-queue removes jobs on success.',
      'Lanes enqueue validates every payload with zod and gives each job a random UUID id; raw BullMQ uses its counter ids.',
    ],
    durationMs: Date.now() - startedAt,
  };
}

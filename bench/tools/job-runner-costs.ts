// Where the worker runtime's per-job CPU goes, without Redis: JobRunner.run on an in-memory job
// against calling the handler directly, then each ingredient of the per-job path on its own.
// A diagnostic for the overhead suite (not part of `pnpm bench`):
//   node bench/tools/job-runner-costs.ts [iterations]
import type { Job } from 'bullmq';
import { parsePayload, z } from '@lanes/contracts';
import { createLogger, defineTask, LanesMetrics } from '@lanes/worker-core';
import type { Redis } from 'ioredis';
import { JobRunner } from '../../packages/worker-core/src/runtime/job-runner.ts';
import { TaskCatalog } from '../../packages/worker-core/src/runtime/task-catalog.ts';
import { DEFAULT_OUTAGE_POLICY } from '../../packages/worker-core/src/runtime/outage.ts';
import { JobLeases } from '../../packages/worker-core/src/runtime/job-leases.ts';

const iterations = Number(process.argv[2] ?? 200_000);

const noop = defineTask({
  name: 'bench-noop',
  lane: 'default',
  schema: z.object({ i: z.number().int() }),
  handler: async () => null,
});
const metrics = new LanesMetrics({ defaultMetrics: false });
const logger = createLogger('warn');
const runner = new JobRunner('default', {
  catalog: new TaskCatalog([noop], {} as Redis, '{bench}'),
  client: {} as never,
  logger,
  metrics,
  inFlight: new Map(),
  outage: DEFAULT_OUTAGE_POLICY,
  stopping: new AbortController().signal,
  leases: new JobLeases(30_000),
});
const job = {
  id: 'job-1',
  name: 'bench-noop',
  data: { i: 1 },
  attemptsMade: 0,
  opts: { attempts: 3 },
} as unknown as Job;

/** CPU ns of this process since `from` (user + system), per iteration: steadier than wall time on a shared machine. */
function cpuNsPerIteration(from: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(from);
  return ((used.user + used.system) * 1000) / iterations;
}

/** CPU ns per call of an async body, after a warm-up of the same length. */
async function timeAsync(body: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < iterations; i++) await body();
  const from = process.cpuUsage();
  for (let i = 0; i < iterations; i++) await body();
  return cpuNsPerIteration(from);
}

function timeSync(body: () => unknown): number {
  for (let i = 0; i < iterations; i++) body();
  const from = process.cpuUsage();
  for (let i = 0; i < iterations; i++) body();
  return cpuNsPerIteration(from);
}

const direct = await timeAsync(() => noop.handler({ i: 1 }, {} as never));
const full = await timeAsync(() => runner.run(job, 'token'));

const completed = metrics.jobs.labels({ task: 'bench-noop', lane: 'default', outcome: 'completed' });
const duration = metrics.jobDuration.labels({ task: 'bench-noop', lane: 'default' });
const parts: Array<[string, number]> = [
  ['parsePayload (zod safeParse of {i})', timeSync(() => parsePayload(noop, { i: 1 }))],
  ['setTimeout + clearTimeout (attempt deadline)', timeSync(() => clearTimeout(setTimeout(() => undefined, 300_000)))],
  ['new AbortController + signal', timeSync(() => new AbortController().signal)],
  [
    'abortPromise (new Promise + abort listener)',
    timeSync(() => {
      const c = new AbortController();
      const p = new Promise((_, reject) =>
        c.signal.addEventListener('abort', () => reject(c.signal.reason), { once: true }),
      );
      p.catch(() => undefined);
    }),
  ],
  [
    'Promise.race([handler(), aborted])',
    await timeAsync(() => {
      const aborted = new Promise<never>(() => undefined);
      return Promise.race([noop.handler({ i: 1 }, {} as never), aborted]);
    }),
  ],
  ['histogram.observe (duration)', timeSync(() => duration.observe(0.0001))],
  ['counter.inc (completed)', timeSync(() => completed.inc())],
  [
    'gauge labels + inc + dec (active)',
    timeSync(() => {
      const active = metrics.active.labels({ lane: 'default' });
      active.inc();
      active.dec();
    }),
  ],
  ['metrics.jobTaken (last job timestamp, Date.now)', timeSync(() => metrics.jobTaken())],
  ['performance.now x2', timeSync(() => performance.now() + performance.now())],
  [
    'inFlight Map set + delete',
    timeSync(() => {
      const m = new Map<string, number>();
      m.set('job-1', 1);
      m.delete('job-1');
    }),
  ],
];

const out = (label: string, ns: number): void =>
  void process.stdout.write(`${(ns / 1000).toFixed(2).padStart(8)} µs  ${label}\n`);
process.stdout.write(`iterations: ${iterations}\n`);
out('handler called directly', direct);
out('JobRunner.run', full);
out('=> runtime cost per job (minus the direct call)', full - direct);
process.stdout.write('ingredients, each alone:\n');
for (const [label, ns] of parts) out(label, ns);
out(
  'sum of ingredients',
  parts.reduce((sum, [, ns]) => sum + ns, 0),
);

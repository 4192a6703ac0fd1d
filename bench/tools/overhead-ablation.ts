// Splits the Lanes-vs-BullMQ processing gap into parts, by CPU time of this process per job
// (robust to other load on the machine, unlike jobs/s). Each variant processes the same no-op
// jobs (Lanes' job options) from a pre-filled queue at concurrency 50; variants alternate.
//   node bench/tools/overhead-ablation.ts [jobs] [rounds]
import { randomUUID } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { DEFAULT_REMOVE_ON_COMPLETE, DEFAULT_REMOVE_ON_FAIL } from '@lanes/queue';
import { createLogger, LanesMetrics, LanesWorker, loadRuntimeConfig } from '@lanes/worker-core';
import { JobRunner } from '../../packages/worker-core/src/runtime/job-runner.ts';
import { TaskCatalog } from '../../packages/worker-core/src/runtime/task-catalog.ts';
import { DEFAULT_OUTAGE_POLICY } from '../../packages/worker-core/src/runtime/outage.ts';
import { JobLeases } from '../../packages/worker-core/src/runtime/job-leases.ts';
import { benchNoop } from '../suites/overhead/lanes-side.ts';
import { deleteKeysByPrefix } from '../lib/redis-keys.ts';
import { median } from '../lib/stats.ts';
import { Tally } from '../lib/tally.ts';

const JOBS = Number(process.argv[2] ?? 20_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

let tally = new Tally(0);
// benchNoop's handler hits the shared tally of lanes-side; wrap it to hit ours instead.
const task = {
  ...benchNoop,
  handler: async () => {
    tally.hit();
    return null;
  },
};

type Variant = { name: string; start: (prefix: string) => Promise<() => Promise<void>> };

function rawWorker(
  prefix: string,
  processor: (job: Job, token?: string, signal?: AbortSignal) => Promise<unknown>,
): () => Promise<void> {
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const worker = new Worker('default', processor, { connection, prefix: `{${prefix}}`, concurrency: 50 });
  return async () => {
    await worker.close();
    connection.disconnect();
  };
}

function runner(metrics: LanesMetrics): JobRunner {
  return new JobRunner('default', {
    catalog: new TaskCatalog([task], {} as Redis, '{x}'),
    client: {} as never,
    logger: createLogger('warn'),
    metrics,
    inFlight: new Map(),
    outage: DEFAULT_OUTAGE_POLICY,
    stopping: new AbortController().signal,
    leases: new JobLeases(30_000),
  });
}

const sharedMetrics = new LanesMetrics({ defaultMetrics: false });
const variants: Variant[] = [
  {
    name: 'raw BullMQ, 2-arg processor',
    start: async (p) =>
      rawWorker(p, async () => {
        tally.hit();
        return null;
      }),
  },
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  {
    name: 'raw BullMQ, 3-arg processor (BullMQ makes an AbortController per job)',
    start: async (p) =>
      rawWorker(p, async (_job, _token, _signal) => {
        tally.hit();
        return null;
      }),
  },
  {
    name: 'raw BullMQ Worker + JobRunner (no default metrics)',
    start: async (p) => {
      const r = runner(sharedMetrics);
      return rawWorker(p, (job, token) => r.run(job, token));
    },
  },
  {
    name: 'LanesWorker (as deployed: default process metrics on)',
    start: async (p) => {
      const worker = new LanesWorker({
        config: loadRuntimeConfig({ REDIS_URL, LANES_PREFIX: p, LOG_LEVEL: 'warn' }),
        tasks: [task],
        lanes: ['default'],
        concurrency: 50,
        metrics: deployedMetrics,
      });
      await worker.start();
      return async () => void (await worker.close(5000));
    },
  },
];
const deployedMetrics = new LanesMetrics();

async function fill(prefix: string): Promise<void> {
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  const queue = new Queue('default', { connection, prefix: `{${prefix}}` });
  const opts = () => ({
    jobId: randomUUID(),
    attempts: 3,
    backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
    removeOnComplete: DEFAULT_REMOVE_ON_COMPLETE,
    removeOnFail: DEFAULT_REMOVE_ON_FAIL,
  });
  for (let i = 0; i < JOBS; i += 1000)
    await queue.addBulk(
      Array.from({ length: Math.min(1000, JOBS - i) }, (_, j) => ({
        name: 'bench-noop',
        data: { i: i + j },
        opts: opts(),
      })),
    );
  await queue.close();
  connection.disconnect();
}

const results = new Map<string, { cpu: number[]; rate: number[] }>(
  variants.map((v) => [v.name, { cpu: [], rate: [] }]),
);
for (let round = -1; round < ROUNDS; round++) {
  for (const variant of variants) {
    const prefix = `ablate-${Date.now().toString(36)}-${randomUUID().slice(0, 6)}`;
    await fill(prefix);
    tally = new Tally(JOBS);
    const stop = await variant.start(prefix);
    await tally.done;
    await stop();
    await deleteKeysByPrefix(REDIS_URL, `{${prefix}}`);
    if (round >= 0) {
      results.get(variant.name)!.cpu.push(tally.cpuMicrosPerJob);
      results.get(variant.name)!.rate.push(tally.perSecond);
    }
  }
}
for (const [name, r] of results) {
  process.stdout.write(
    `${median(r.cpu).toFixed(1).padStart(7)} µs cpu/job  ${Math.round(median(r.rate)).toString().padStart(6)} jobs/s  ${name}  (cpu samples ${r.cpu.map((c) => c.toFixed(0)).join(', ')})\n`,
  );
}
process.exit(0);

// Load: LANES_LOAD_JOBS (default 100 000) no-op jobs spread over the three lanes, streamed in with
// a bounded backlog, run by several `lanes worker` processes against a Redis of our own. Nothing
// is lost (each sequence number's bit set once, run count equal to jobs enqueued, ids unique),
// and worker RSS and Redis used_memory, sampled every second, stay bounded: retention trims
// finished jobs, so memory plateaus instead of growing with the number of jobs processed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { LANES, type Lane } from '@lanes/contracts';
import { LanesClient } from '@lanes/client';
import { eventually, sleep, uniquePrefix } from '../support/env.ts';
import { freePort, PrivateRedis } from '../support/servers.ts';
import {
  describeSeries,
  infoField,
  laneCounts,
  mib,
  rssBytes,
  spawnLanesWorker,
  summarize,
  type WorkerProcess,
} from './helpers.ts';
import { relTick, sideEffectKeys } from './tasks.ts';

const JOBS = Number(process.env.LANES_LOAD_JOBS ?? 100_000);
const WORKERS = Number(process.env.LANES_LOAD_WORKERS ?? 3);
const CONCURRENCY = Number(process.env.LANES_LOAD_CONCURRENCY ?? 32);
const BATCH = 2000;
/** Enqueueing pauses while more than this many jobs are enqueued but not yet run. */
const MAX_BACKLOG = 15_000;
const TIME_BUDGET_MS = Number(process.env.LANES_LOAD_BUDGET_MS ?? 420_000);

interface Sample {
  readonly at: number;
  readonly ticks: number;
  readonly enqueued: number;
  readonly redisBytes: number;
  readonly workerRss: readonly number[];
  /** V8 heap in use per worker, from its /metrics (lanes_nodejs_heap_size_used_bytes). */
  readonly workerHeap: readonly number[];
}

async function heapUsed(port: number): Promise<number> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) });
    const match = /^lanes_nodejs_heap_size_used_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(await response.text());
    return match === null ? 0 : Number(match[1]);
  } catch {
    return 0;
  }
}

describe(`load: ${JOBS} jobs over ${LANES.length} lanes, ${WORKERS} worker processes`, () => {
  let redis: PrivateRedis;
  let probe: Redis | undefined;
  let client: LanesClient | undefined;
  const workers: WorkerProcess[] = [];

  before(async () => {
    redis = await PrivateRedis.start({ label: 'load' });
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.stop(10_000)));
    await client?.close();
    probe?.disconnect();
    await redis.dispose();
  });

  test('nothing lost; worker RSS and Redis memory stay bounded', { timeout: TIME_BUDGET_MS + 60_000 }, async (t) => {
    const prefix = uniquePrefix('load');
    const keys = sideEffectKeys(prefix);
    probe = redis.connect();
    client = new LanesClient({ redisUrl: redis.url, prefix });
    const metricsPorts: number[] = [];
    for (let i = 0; i < WORKERS; i += 1) {
      const port = await freePort();
      metricsPorts.push(port);
      workers.push(
        spawnLanesWorker({
          redisUrl: redis.url,
          prefix,
          args: ['--concurrency', String(CONCURRENCY), '--metrics-port', String(port)],
          keepOutput: 20_000,
        }),
      );
    }
    const ticks = async (): Promise<number> => Number((await probe!.get(keys.ticks)) ?? 0);

    const samples: Sample[] = [];
    let enqueued = 0;
    const started = Date.now();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [info, done, heaps] = await Promise.all([
          probe!.info('memory'),
          ticks(),
          Promise.all(metricsPorts.map(heapUsed)),
        ]);
        samples.push({
          at: Date.now() - started,
          ticks: done,
          enqueued,
          redisBytes: infoField(info, 'used_memory'),
          workerRss: workers.map((w) => rssBytes(w.pid) ?? 0),
          workerHeap: heaps,
        });
        await sleep(1000);
      }
    })();

    // Stream the jobs in, round-robin over the lanes, keeping the backlog bounded.
    const ids = new Set<string>();
    try {
      for (let next = 0; next < JOBS; ) {
        if (Date.now() - started > TIME_BUDGET_MS) break;
        if (enqueued - (await ticks()) > MAX_BACKLOG) {
          await sleep(50);
          continue;
        }
        const size = Math.min(BATCH, JOBS - next);
        const items = Array.from({ length: size }, (_, i) => {
          const seq = next + i;
          return { payload: { seq }, options: { lane: LANES[seq % LANES.length] as Lane } };
        });
        const handles = await client.enqueueBulk(relTick, items);
        for (const handle of handles) ids.add(handle.id);
        next += size;
        enqueued = next;
      }
      const enqueueMs = Date.now() - started;
      assert.equal(enqueued, JOBS, `only ${enqueued} of ${JOBS} enqueued within ${TIME_BUDGET_MS} ms`);
      assert.equal(ids.size, JOBS, 'every job id is unique');
      const remaining = Math.max(10_000, TIME_BUDGET_MS - enqueueMs);
      await eventually(async () => ((await ticks()) >= JOBS ? true : undefined), remaining, `all ${JOBS} jobs run`);
    } finally {
      sampling = false;
      await sampler;
    }
    const elapsedMs = Date.now() - started;

    // Nothing lost, nothing run twice.
    const [bitCount, runCount] = await Promise.all([probe.bitcount(keys.bits), ticks()]);
    assert.equal(bitCount, JOBS, 'every sequence number ran');
    assert.equal(runCount, JOBS, 'no job ran twice');
    const counts = await Promise.all(LANES.map((lane) => laneCounts(client!.queues.get(lane))));
    for (const [i, c] of counts.entries()) {
      assert.deepEqual(
        { failed: c.failed, active: c.active, wait: c.wait, delayed: c.delayed, prioritized: c.prioritized },
        { failed: 0, active: 0, wait: 0, delayed: 0, prioritized: 0 },
        `lane ${LANES[i]}`,
      );
    }
    const retained = counts.reduce((sum, c) => sum + c.completed, 0);

    // Memory: the last third of the run may not climb past the first third's peak by much.
    const redisSeries = summarize(samples.map((s) => s.redisBytes));
    const rssSeries = workers.map((_, i) => summarize(samples.map((s) => s.workerRss[i] ?? 0).filter((v) => v > 0)));
    t.diagnostic(
      `${JOBS} jobs in ${(elapsedMs / 1000).toFixed(1)} s (${Math.round(JOBS / (elapsedMs / 1000))} jobs/s) with ${WORKERS} workers x ${CONCURRENCY} per lane; lost 0, duplicated 0, failed 0; ${retained} completed jobs retained`,
    );
    t.diagnostic(describeSeries('redis used_memory', redisSeries));
    const heapSeries = workers.map((_, i) => summarize(samples.map((s) => s.workerHeap[i] ?? 0).filter((v) => v > 0)));
    for (const [i, series] of rssSeries.entries()) t.diagnostic(describeSeries(`worker ${i + 1} RSS`, series));
    for (const [i, series] of heapSeries.entries())
      t.diagnostic(describeSeries(`worker ${i + 1} V8 heap used`, series));
    const every = Math.max(1, Math.floor(samples.length / 12));
    t.diagnostic('t(s)  done  redis  worker RSS  (V8 heap used)');
    for (const s of samples.filter((_, i) => i % every === 0 || i === samples.length - 1)) {
      t.diagnostic(
        `${(s.at / 1000).toFixed(0).padStart(4)} ${String(s.ticks).padStart(7)} ${mib(s.redisBytes).padStart(10)}  ${s.workerRss.map(mib).join(' / ')}  (${s.workerHeap.map(mib).join(' / ')})`,
      );
    }
    // An absolute ceiling too (no-op jobs; about 340 MiB measured here at 3 x 32 x 3 slots).
    const maxRss = Number(process.env.LANES_LOAD_MAX_RSS_MB ?? 768) << 20;
    for (const [i, series] of rssSeries.entries())
      assert.ok(series.max <= maxRss, `worker ${i + 1} RSS ${mib(series.max)} above ${mib(maxRss)}`);
    if (samples.length >= 9) {
      const slack = 64 << 20;
      assert.ok(
        redisSeries.lastThirdMax <= redisSeries.firstThirdMax * 1.5 + slack,
        `Redis memory grew: ${describeSeries('redis', redisSeries)}`,
      );
      for (const [i, series] of rssSeries.entries()) {
        assert.ok(
          series.lastThirdMax <= series.firstThirdMax * 1.5 + slack,
          `worker ${i + 1} RSS grew: ${describeSeries('rss', series)}`,
        );
      }
      for (const [i, series] of heapSeries.entries()) {
        if (series.samples < 9) continue;
        assert.ok(
          series.lastThirdMax <= series.firstThirdMax * 1.5 + slack,
          `worker ${i + 1} heap grew: ${describeSeries('heap', series)}`,
        );
      }
    }
    for (const w of workers)
      assert.equal(w.process.exitCode, null, `worker ${w.pid} kept running:\n${w.output().slice(-2000)}`);
  });
});

// Worker processes are SIGKILLed at random moments during a run of short jobs with side effects
// (at least 10 kills, a replacement started after each): every job ends completed exactly once
// in BullMQ, and the set of job ids whose side effect happened equals the set enqueued.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { LanesClient } from '@lanes/client';
import { eventually, sleep, uniquePrefix } from '../support/env.ts';
import { PrivateRedis } from '../support/servers.ts';
import { laneCounts, seededRandom, spawnLanesWorker, type WorkerProcess } from './helpers.ts';
import { relMark, sideEffectKeys } from './tasks.ts';

const JOBS = 500;
const WORKERS = 3;
const MIN_KILLS = 12;
const KILL_BUDGET_MS = 45_000;
const WORKER_ENV = { LANES_LOCK_DURATION_MS: '2000', LANES_STALLED_INTERVAL_MS: '1000' };

describe('worker crashes at random moments', () => {
  let redis: PrivateRedis;
  let probe: Redis | undefined;
  let client: LanesClient | undefined;
  const workers: WorkerProcess[] = [];

  before(async () => {
    redis = await PrivateRedis.start({ label: 'crash' });
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.stop(5000)));
    await client?.close();
    probe?.disconnect();
    await redis.dispose();
  });

  test(`>= ${MIN_KILLS} SIGKILLs during ${JOBS} jobs: every job completed exactly once, no side effect missing`, {
    timeout: 150_000,
  }, async (t) => {
    const seed = Number(process.env.LANES_CRASH_SEED ?? Date.now() % 1_000_000);
    const random = seededRandom(seed);
    t.diagnostic(`seed ${seed} (replay with LANES_CRASH_SEED=${seed})`);
    const prefix = uniquePrefix('crash');
    const keys = sideEffectKeys(prefix);
    client = new LanesClient({ redisUrl: redis.url, prefix });
    probe = redis.connect();
    const startedAt = new Map<WorkerProcess, number>();
    const start = (): WorkerProcess => {
      const worker = spawnLanesWorker({ redisUrl: redis.url, prefix, env: WORKER_ENV, args: ['--concurrency', '3'] });
      workers.push(worker);
      startedAt.set(worker, Date.now());
      return worker;
    };
    const alive: WorkerProcess[] = Array.from({ length: WORKERS }, start);

    const handles = await client.enqueueBulk(
      relMark,
      Array.from({ length: JOBS }, () => ({ payload: { ms: 50 + Math.floor(random() * 200) } })),
    );
    const ids = new Set(handles.map((h) => h.id));
    assert.equal(ids.size, JOBS, 'job ids are unique');
    const done = async (): Promise<number> => probe!.scard(keys.done);
    await eventually(async () => ((await done()) >= 10 ? true : undefined), 60_000, 'the first jobs to complete');

    // Every 0.3-1 s kill a random worker among those up for over 1.5 s (so it has had time to
    // take jobs, a replacement needs about a second to start), and start a replacement at once.
    let kills = 0;
    let killedWhileBusy = 0;
    const killStart = Date.now();
    while (kills < MIN_KILLS && Date.now() - killStart < KILL_BUDGET_MS) {
      await sleep(300 + Math.floor(random() * 700));
      const eligible = alive.map((w, i) => ({ w, i })).filter(({ w }) => Date.now() - startedAt.get(w)! > 1500);
      if (eligible.length === 0) continue;
      const index = eligible[Math.floor(random() * eligible.length)]!.i;
      const victim = alive[index]!;
      const activeBefore = await client.queues.get('default').getActiveCount();
      const exit = await victim.kill();
      assert.equal(exit.signal, 'SIGKILL');
      kills += 1;
      if (activeBefore > 0) killedWhileBusy += 1;
      alive[index] = start();
    }
    const doneAfterKills = await done();
    t.diagnostic(
      `${kills} SIGKILLs in ${Date.now() - killStart} ms (${killedWhileBusy} while jobs were active); ${doneAfterKills}/${JOBS} done by then`,
    );
    assert.ok(kills >= MIN_KILLS, `only ${kills} kills`);
    assert.ok(doneAfterKills < JOBS, 'the kills happened while work remained (make the jobs longer if this fails)');

    // Survivors and replacements recover the stalled jobs (lock 2 s, stall check every 1 s).
    await eventually(async () => ((await done()) >= JOBS ? true : undefined), 90_000, `all ${JOBS} side effects`);
    const counts = await eventually(
      async () => {
        const c = await laneCounts(client!.queues.get('default'));
        return c.completed + c.failed >= JOBS ? c : undefined;
      },
      30_000,
      'every job to finish in BullMQ',
    );
    assert.equal(counts.failed, 0, 'no job failed (e.g. by exceeding the stalled limit)');
    assert.equal(counts.completed, JOBS);

    const completed = await client.queues.get('default').getJobs(['completed'], 0, -1);
    const completedIds = completed.map((job) => job.id!);
    assert.equal(completedIds.length, JOBS);
    assert.equal(new Set(completedIds).size, JOBS, 'each job is in the completed set once');
    assert.deepEqual(new Set(completedIds), ids);
    const doneIds = new Set(await probe.smembers(keys.done));
    assert.deepEqual(doneIds, ids, 'the side effect happened for exactly the enqueued jobs');

    const runs = Object.values(await probe.hgetall(keys.runs)).map(Number);
    const totalRuns = runs.reduce((a, b) => a + b, 0);
    const recovered = completed.filter((job) => (job.stalledCounter ?? 0) > 0).length;
    t.diagnostic(
      `jobs ${JOBS}: completed ${counts.completed}, failed ${counts.failed}, lost 0; ${recovered} recovered from a killed worker; ` +
        `handler runs ${totalRuns} (${totalRuns - JOBS} re-runs of a job whose worker died after its side effect, before completion)`,
    );
  });
});

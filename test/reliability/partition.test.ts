// A partition, not a kill: two worker processes, each in its own network namespace, reach Redis
// over veth links (netns.ts). One is cut off mid-job: its TCP connections neither fail nor
// answer, so BullMQ's lock renewals hang instead of failing. Its jobs' locks expire, the other
// worker recovers and completes them; the cut-off worker stops each attempt once its lock was
// not renewed for the lock duration, so after the link heals none of its buffered side effects
// lands: every job's side effect happened exactly once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { LanesClient } from '@lanes/client';
import { eventually, sleep, uniquePrefix } from '../support/env.ts';
import { laneCounts, spawnLanesWorker, type WorkerProcess } from './helpers.ts';
import { NetLab, netnsUnavailable } from './netns.ts';
import { relMark, sideEffectKeys } from './tasks.ts';

const JOBS = 12;
const JOB_MS = 5000;
const LOCK_MS = 3000;
/** Long enough for the other worker to finish the recovered jobs while the link is down. */
const PARTITION_MS = 12_000;

const unavailable = await netnsUnavailable();

describe('a worker partitioned from Redis mid-job', { skip: unavailable }, () => {
  let lab: NetLab;
  let client: LanesClient | undefined;
  let probe: Redis | undefined;
  const workers: WorkerProcess[] = [];

  before(async () => {
    lab = await NetLab.create(2);
  });

  after(async () => {
    for (const w of lab.workers) await w.heal().catch(() => undefined);
    await Promise.all(workers.map((w) => w.stop(5000)));
    await client?.close();
    probe?.disconnect();
    await lab.dispose();
  });

  test('its jobs are recovered by the other worker, it stops its attempts, no side effect twice', {
    timeout: 120_000,
  }, async (t) => {
    const prefix = uniquePrefix('partition');
    const keys = sideEffectKeys(prefix);
    // The test process is in no namespace of the lab: it talks to Redis over the Unix socket.
    client = new LanesClient({ redisUrl: lab.socket, prefix });
    probe = new Redis(lab.socket);
    const env = { LANES_LOCK_DURATION_MS: String(LOCK_MS), LANES_STALLED_INTERVAL_MS: '1000' };
    const [cutOff, other] = lab.workers;
    const isolated = spawnLanesWorker({
      redisUrl: lab.redisUrl,
      prefix,
      env,
      args: ['--concurrency', '4'],
      netns: cutOff!.netns,
    });
    workers.push(isolated);

    const handles = await client.enqueueBulk(
      relMark,
      Array.from({ length: JOBS }, () => ({ payload: { ms: JOB_MS } })),
    );
    const ids = handles.map((h) => h.id);
    const queue = client.queues.get('default');
    // Only the first worker runs yet: whatever is active is its.
    const held = await eventually(
      async () => {
        const active = await queue.getActive();
        return active.length === 4 ? active.map((job) => job.id!) : undefined;
      },
      60_000,
      'the first worker to take 4 jobs',
    );
    await sleep(1000);
    await cutOff!.cut();
    const cutAt = Date.now();
    workers.push(
      spawnLanesWorker({ redisUrl: lab.redisUrl, prefix, env, args: ['--concurrency', '8'], netns: other!.netns }),
    );

    // The other worker recovers the held jobs (their locks expire) and completes everything.
    const done = async (): Promise<number> => probe!.scard(keys.done);
    await eventually(
      async () => ((await done()) >= JOBS ? true : undefined),
      PARTITION_MS + 30_000,
      `all ${JOBS} jobs done by the other worker`,
    );
    const recoveredMs = Date.now() - cutAt;
    await sleep(Math.max(0, PARTITION_MS - (Date.now() - cutAt)));

    // What the cut-off worker said while still cut off (checked below).
    const outputWhileCut = isolated.output();

    // Heal, and let whatever it had buffered arrive: its connections show activity again.
    await cutOff!.heal();
    const healedAt = Date.now();
    await eventually(
      async () => {
        const clients = (await probe!.client('LIST')) as string;
        const mine = clients.split('\n').filter((line) => line.includes(`addr=${cutOff!.address}:`));
        const sinceHeal = (Date.now() - healedAt) / 1000;
        return mine.some((line) => Number(/ idle=(\d+)/.exec(line)?.[1] ?? 1e9) < sinceHeal - 1) ? true : undefined;
      },
      60_000,
      'the cut-off worker to talk to Redis again',
    );
    await sleep(3000);

    const runs = await probe.hgetall(keys.runs);
    const twice = Object.entries(runs)
      .filter(([, n]) => Number(n) !== 1)
      .map(([id, n]) => `${id}: ${n}`);
    assert.deepEqual(twice, [], "every job's side effect happened exactly once");
    assert.deepEqual(new Set(await probe.smembers(keys.done)), new Set(ids), 'every job done, none lost');
    // The cut-off worker stopped each of its attempts on its own, while still cut off.
    const stopped = held.filter((id) => new RegExp(`"jobId":"${id}"[^\\n]*job lock lost`).test(outputWhileCut));
    assert.deepEqual(
      stopped.sort(),
      [...held].sort(),
      `the cut-off worker stopped all ${held.length} attempts it held:\n${outputWhileCut.slice(-3000)}`,
    );
    const counts = await laneCounts(queue);
    assert.equal(counts.completed, JOBS);
    assert.equal(counts.failed, 0);
    for (const w of workers)
      assert.equal(w.process.exitCode, null, `worker ${w.pid} kept running:\n${w.output().slice(-2000)}`);
    t.diagnostic(
      `partition of ${PARTITION_MS} ms with ${held.length} jobs held: recovered and all ${JOBS} done after ${recoveredMs} ms; ${held.length} attempts stopped by the cut-off worker; side effects once each (lost 0, duplicated 0)`,
    );
  });
});

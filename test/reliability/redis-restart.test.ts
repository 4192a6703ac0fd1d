// Redis crashes (SIGKILL) and restarts (SIGTERM) mid-run, on its own AOF with appendfsync always:
// worker processes and the client reconnect by themselves, and every job completes, none lost.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { LanesClient } from '@lanes/client';
import { eventually, sleep, uniquePrefix } from '../support/env.ts';
import { PrivateRedis } from '../support/servers.ts';
import { laneCounts, spawnLanesWorker, type WorkerProcess } from './helpers.ts';
import { relMark, sideEffectKeys } from './tasks.ts';

const FIRST_BATCH = 300;
const SECOND_BATCH = 100;

describe('Redis restart mid-run (AOF)', () => {
  let redis: PrivateRedis;
  let probe: Redis | undefined;
  let client: LanesClient | undefined;
  const workers: WorkerProcess[] = [];

  before(async () => {
    redis = await PrivateRedis.start({ aof: true, label: 'aof' });
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.stop(5000)));
    await client?.close();
    probe?.disconnect();
    await redis.dispose();
  });

  test('a SIGKILLed and a SIGTERMed Redis come back from AOF; workers and client reconnect; no job lost', {
    timeout: 150_000,
  }, async (t) => {
    const prefix = uniquePrefix('restart');
    const keys = sideEffectKeys(prefix);
    client = new LanesClient({ redisUrl: redis.url, prefix });
    probe = redis.connect();
    const env = { LANES_LOCK_DURATION_MS: '5000', LANES_STALLED_INTERVAL_MS: '1000' };
    for (let i = 0; i < 2; i += 1)
      workers.push(spawnLanesWorker({ redisUrl: redis.url, prefix, env, args: ['--concurrency', '4'] }));

    const first = await client.enqueueBulk(
      relMark,
      Array.from({ length: FIRST_BATCH }, (_, i) => ({ payload: { ms: 20 + (i % 5) * 10 } })),
    );
    const ids = new Set(first.map((h) => h.id));
    const done = async (): Promise<number> => (probe === undefined ? 0 : probe.scard(keys.done));
    await eventually(async () => ((await done()) >= 40 ? true : undefined), 60_000, 'the first jobs to complete');

    // Crash: acknowledged writes are on disk (appendfsync always), the rest never happened.
    const doneAtCrash = await done();
    await redis.stop('SIGKILL');
    // While Redis is down an enqueue fails within seconds instead of hanging.
    const downStart = Date.now();
    const outcome = await Promise.race([
      client.enqueue(relMark, { ms: 1 }).then(
        () => 'enqueued',
        (error: unknown) => `rejected: ${error instanceof Error ? error.message : String(error)}`,
      ),
      new Promise<string>((resolve) => setTimeout(resolve, 20_000, 'hung').unref()),
    ]);
    const rejectMs = Date.now() - downStart;
    assert.match(outcome, /^rejected/, 'an enqueue while Redis is down must fail, not hang');
    await sleep(Math.max(0, 1500 - rejectMs));
    await redis.start();
    t.diagnostic(
      `crash 1 (SIGKILL) after ${doneAtCrash}/${FIRST_BATCH} done; enqueue while down ${outcome.slice(0, 80)} after ${rejectMs} ms`,
    );

    // A clean restart (SIGTERM rewrites nothing but still drops every connection).
    await eventually(
      async () => ((await done().catch(() => 0)) >= Math.min(FIRST_BATCH - 20, doneAtCrash + 80) ? true : undefined),
      90_000,
      'progress after the first restart',
    );
    const doneAtStop = await done();
    await redis.stop('SIGTERM');
    await sleep(800);
    await redis.start();
    t.diagnostic(`restart 2 (SIGTERM) after ${doneAtStop}/${FIRST_BATCH} done`);

    // The same client object enqueues again once Redis is back.
    const second = await eventually(
      async () => {
        try {
          return await client!.enqueueBulk(
            relMark,
            Array.from({ length: SECOND_BATCH }, () => ({ payload: { ms: 5 } })),
          );
        } catch {
          return undefined;
        }
      },
      30_000,
      'the client to enqueue after the restart',
    );
    for (const handle of second) ids.add(handle.id);
    assert.equal(ids.size, FIRST_BATCH + SECOND_BATCH);

    await eventually(async () => ((await done()) >= ids.size ? true : undefined), 90_000, `all ${ids.size} jobs done`);
    const doneIds = new Set(await probe.smembers(keys.done));
    assert.deepEqual(
      [...ids].filter((id) => !doneIds.has(id)),
      [],
      'no enqueued job is missing from the done set',
    );
    assert.deepEqual(
      [...doneIds].filter((id) => !ids.has(id)),
      [],
      'nothing ran that was not enqueued',
    );

    const counts = await eventually(
      async () => {
        const c = await laneCounts(client!.queues.get('default'));
        return c.completed === ids.size ? c : undefined;
      },
      30_000,
      'every job to be completed in BullMQ',
    );
    assert.equal(counts.failed, 0);
    const runs = Object.values(await probe.hgetall(keys.runs)).reduce((sum, n) => sum + Number(n), 0);
    t.diagnostic(
      `jobs ${ids.size}, completed ${counts.completed}, failed ${counts.failed}, handler runs ${runs} (re-runs ${runs - ids.size}), lost 0`,
    );
    for (const w of workers)
      assert.equal(w.process.exitCode, null, `worker ${w.pid} kept running:\n${w.output().slice(-2000)}`);
  });
});

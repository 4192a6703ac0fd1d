// Redis (a server of our own, maxmemory-policy noeviction as a queue Redis must run) reaches
// maxmemory mid-run and refuses writes for OOM_MS: the jobs already accepted are not failed (they
// wait, without a counted attempt, and complete once Redis takes writes again), while a new
// enqueue is refused with the reason: DependencyUnavailableError from the client, 503 from the
// HTTP API, exit 1 from the CLI.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { DependencyUnavailableError, ingest } from '@lanes/contracts';
import { LanesClient } from '@lanes/client';
import { eventually, sleep, uniquePrefix, untilHttpOk } from '../support/env.ts';
import { freePort, PrivateRedis } from '../support/servers.ts';
import { dropRagState, ragTestEnv, type TestEnv } from '../rag/helpers.ts';
import { infoField, laneCounts, runLanes, spawnLanes, spawnLanesWorker, type WorkerProcess } from './helpers.ts';
import { relMark, sideEffectKeys } from './tasks.ts';

const JOBS = 200;
/** How long Redis refuses writes: longer than a job lock (5 s here), so locks expire meanwhile. */
const OOM_MS = 10_000;

describe('Redis at maxmemory mid-run', () => {
  let redis: PrivateRedis;
  let probe: Redis | undefined;
  let client: LanesClient | undefined;
  let dashboardEnv: TestEnv | undefined;
  const processes: WorkerProcess[] = [];

  before(async () => {
    redis = await PrivateRedis.start({ label: 'oom', extraArgs: ['--maxmemory-policy', 'noeviction'] });
  });

  after(async () => {
    await probe?.config('SET', 'maxmemory', '0').catch(() => undefined);
    await Promise.all(processes.map((p) => p.stop(5000)));
    await client?.close();
    probe?.disconnect();
    if (dashboardEnv !== undefined)
      await dropRagState({ ...dashboardEnv, LANES_PG_SCHEMA: dashboardEnv.LANES_PG_SCHEMA! }).catch(() => undefined);
    await redis.dispose();
  });

  test('accepted jobs wait and complete, none failed; enqueue is refused with the reason', {
    timeout: 150_000,
  }, async (t) => {
    const prefix = uniquePrefix('oom');
    const keys = sideEffectKeys(prefix);
    probe = redis.connect();
    client = new LanesClient({ redisUrl: redis.url, prefix });
    const env = {
      LANES_LOCK_DURATION_MS: '5000',
      LANES_STALLED_INTERVAL_MS: '1000',
      LANES_OUTAGE_BACKOFF_MS: '200',
      LANES_OUTAGE_BACKOFF_MAX_MS: '1000',
    };
    processes.push(spawnLanesWorker({ redisUrl: redis.url, prefix, env, args: ['--concurrency', '4'] }));
    dashboardEnv = ragTestEnv('oomdash', { REDIS_URL: redis.url, LANES_PREFIX: prefix, LOG_LEVEL: 'warn' });
    const port = await freePort();
    processes.push(spawnLanes(['dashboard', '--port', String(port), '--host', '127.0.0.1'], dashboardEnv));
    const api = `http://127.0.0.1:${port}`;
    await untilHttpOk(`${api}/healthz`, 'the dashboard');

    const handles = await client.enqueueBulk(
      relMark,
      Array.from({ length: JOBS }, () => ({ payload: { ms: 100 } })),
    );
    const ids = new Set(handles.map((h) => h.id));
    const done = async (): Promise<number> => probe!.scard(keys.done);
    await eventually(async () => ((await done()) >= 20 ? true : undefined), 60_000, 'the first jobs to complete');

    // Below what Redis already holds: every write that needs memory is refused from now on.
    const used = infoField(await probe.info('memory'), 'used_memory');
    await probe.config('SET', 'maxmemory', String(Math.floor(used / 2)));
    const fullAt = Date.now();
    const doneAtFull = await done();

    const refused = await client.enqueue(relMark, { ms: 1 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.ok(
      refused instanceof DependencyUnavailableError,
      `the client's enqueue is refused with DependencyUnavailableError, got ${String(refused)}`,
    );
    assert.equal(refused.fault.dependency, 'redis');
    assert.equal(refused.fault.kind, 'out-of-memory');
    assert.match(refused.message, /OOM/);

    const http = await fetch(`${api}/api/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ task: 'ingest', data: { text: 'refused while Redis is full', source: 'oom.txt' } }),
    });
    const httpBody = (await http.json()) as { error?: string; code?: string };
    assert.equal(http.status, 503, `HTTP answers 503 (${JSON.stringify(httpBody)})`);
    assert.match(httpBody.error ?? '', /redis unavailable \(out-of-memory\).*OOM/);

    const cli = await runLanes(
      ['enqueue', 'ingest', '--data', JSON.stringify({ text: 'refused too', source: 'oom-cli.txt' })],
      { REDIS_URL: redis.url, LANES_PREFIX: prefix },
    );
    assert.equal(cli.code, 1, `the CLI exits 1 (stderr: ${cli.stderr})`);
    assert.match(cli.stderr, /redis unavailable \(out-of-memory\).*OOM/);

    await sleep(Math.max(0, OOM_MS - (Date.now() - fullAt)));
    const countsWhileFull = await laneCounts(client.queues.get('default'));
    await probe.config('SET', 'maxmemory', '0');
    const fullMs = Date.now() - fullAt;
    t.diagnostic(
      `Redis refused writes for ${fullMs} ms with ${doneAtFull}/${JOBS} jobs done; meanwhile ${countsWhileFull.failed} failed`,
    );
    assert.equal(countsWhileFull.failed, 0, 'no accepted job failed while Redis was full');

    await eventually(async () => ((await done()) >= ids.size ? true : undefined), 90_000, `all ${ids.size} jobs done`);
    const doneIds = new Set(await probe.smembers(keys.done));
    assert.deepEqual(
      [...ids].filter((id) => !doneIds.has(id)),
      [],
      'no accepted job is missing from the done set',
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
    const ingestCounts = await laneCounts(client.queues.get(ingest.lane));
    assert.equal(
      ingestCounts.wait + ingestCounts.prioritized + ingestCounts.delayed,
      0,
      'no refused enqueue left a job behind',
    );
    const completed = await client.queues.get('default').getCompleted(0, -1);
    const burnt = completed.filter((job) => job.attemptsMade !== 1).map((job) => `${job.id}: ${job.attemptsMade}`);
    assert.deepEqual(burnt, [], 'no attempt was counted for the outage');
    const runs = Object.values(await probe.hgetall(keys.runs)).reduce((sum, n) => sum + Number(n), 0);
    t.diagnostic(
      `jobs ${ids.size}, completed ${counts.completed}, failed 0, handler runs ${runs} (re-runs ${runs - ids.size}), lost 0`,
    );
    for (const p of processes)
      assert.equal(p.process.exitCode, null, `process ${p.pid} kept running:\n${p.output().slice(-2000)}`);
  });
});

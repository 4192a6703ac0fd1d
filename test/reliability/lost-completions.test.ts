// No end of a job is lost to a waiter: jobs that complete or fail at once, before the wait has
// subscribed to the lane's events, are still delivered (client and `lanes enqueue --wait`), and
// a handle waited on after retention trimmed its job record (the last 1000 completed a lane)
// still gets its own job's result, from the outcome kept apart for a while.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LanesClient, JobFailedError, WaitTimeoutError } from '@lanes/client';
import type { LanesError } from '@lanes/contracts';
import { eventually, REDIS_URL, uniquePrefix, untilHttpOk } from '../support/env.ts';
import { freePort } from '../support/servers.ts';
import { dropRagState, ragTestEnv } from '../rag/helpers.ts';
import {
  laneCounts,
  RELIABILITY_TASKS,
  runLanes,
  spawnLanes,
  spawnLanesWorker,
  type WorkerProcess,
} from './helpers.ts';
import { relEcho } from './tasks.ts';

const ROUNDS = 5;
const PER_ROUND = 100;
const TRIMMED_BURST = 5000;

describe('no lost completions', () => {
  const prefix = uniquePrefix('ends');
  let producer: LanesClient;
  let worker: WorkerProcess;

  before(async () => {
    producer = new LanesClient({ redisUrl: REDIS_URL, prefix });
    worker = spawnLanesWorker({ redisUrl: REDIS_URL, prefix, args: ['--concurrency', '32'] });
    // The worker is up once it has run a job.
    await producer.enqueue(relEcho, { value: -1, fail: false }).then((h) => h.wait({ timeoutMs: 60_000 }));
  });

  after(async () => {
    await worker.stop(5000);
    await Promise.all(producer.queues.all().map((queue) => queue.obliterate({ force: true }).catch(() => undefined)));
    await producer.close();
  });

  test(`${ROUNDS * PER_ROUND} jobs that end at once, waited on by fresh clients, are all delivered`, {
    timeout: 120_000,
  }, async (t) => {
    let failed = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const values = Array.from({ length: PER_ROUND }, (_, i) => round * PER_ROUND + i);
      const handles = await producer.enqueueBulk(
        relEcho,
        values.map((value) => ({ payload: { value, fail: value % 2 === 1 } })),
      );
      // A new client each round: its lane event reader starts while the jobs are ending.
      const waiter = new LanesClient({ redisUrl: REDIS_URL, prefix });
      try {
        const ends = await Promise.allSettled(handles.map((h) => waiter.wait(h.id, { timeoutMs: 15_000 })));
        const wrong: string[] = [];
        for (const [i, end] of ends.entries()) {
          const value = values[i]!;
          if (value % 2 === 0) {
            if (end.status !== 'fulfilled' || (end.value as { value: number }).value !== value)
              wrong.push(`${value}: ${end.status === 'rejected' ? String(end.reason) : JSON.stringify(end.value)}`);
          } else {
            failed += 1;
            const ok =
              end.status === 'rejected' &&
              end.reason instanceof JobFailedError &&
              end.reason.message.includes(`echo ${value} failed as asked`);
            if (!ok)
              wrong.push(
                `${value}: ${end.status === 'rejected' ? `${(end.reason as Error).name} ${String(end.reason)}` : 'completed'}`,
              );
          }
        }
        const timedOut = ends.filter(
          (end) => end.status === 'rejected' && end.reason instanceof WaitTimeoutError,
        ).length;
        assert.deepEqual(wrong, [], `round ${round}: every wait gets its own job's end (${timedOut} waits timed out)`);
      } finally {
        await waiter.close();
      }
    }

    // The CLI's --wait, on jobs that end at once (a process per job: each reader starts afresh).
    const cli = await Promise.all(
      [0, 1, 2, 3].map((i) =>
        runLanes(
          [
            'enqueue',
            'rel-echo',
            '--tasks',
            RELIABILITY_TASKS,
            '--data',
            JSON.stringify({ value: 9000 + i, fail: i % 2 === 1 }),
            '--wait',
            '--timeout',
            '15000',
            '--json',
          ],
          { REDIS_URL, LANES_PREFIX: prefix },
          60_000,
        ),
      ),
    );
    for (const [i, run] of cli.entries()) {
      const [job] = (JSON.parse(run.stdout) as { jobs: Array<{ state: string; failedReason: string | null }> }).jobs;
      assert.equal(run.code, i % 2 === 1 ? 1 : 0, run.stderr);
      assert.equal(job!.state, i % 2 === 1 ? 'failed' : 'completed');
    }
    t.diagnostic(
      `${ROUNDS * PER_ROUND} waits (${failed} on failing jobs) in ${ROUNDS} fresh clients and ${cli.length} CLI --wait runs: none missed`,
    );
  });

  test(`${TRIMMED_BURST} quick jobs waited on after they ended, past the default retention, each get their result`, {
    timeout: 180_000,
  }, async (t) => {
    const handles = await producer.enqueueBulk(
      relEcho,
      Array.from({ length: TRIMMED_BURST }, (_, value) => ({ payload: { value, fail: false } })),
    );
    await eventually(
      async () => {
        const c = await laneCounts(producer.queues.get('default'));
        return c.wait + c.active + c.delayed + c.prioritized === 0 ? true : undefined;
      },
      150_000,
      `all ${TRIMMED_BURST} jobs to end`,
    );
    const kept = (await laneCounts(producer.queues.get('default'))).completed;

    const ends = await Promise.allSettled(handles.map((h) => h.wait({ timeoutMs: 30_000 })));
    const wrong = ends
      .map((end, value) => ({ end, value }))
      .filter(({ end, value }) => end.status !== 'fulfilled' || (end.value as { value: number }).value !== value)
      .map(
        ({ end, value }) =>
          `${value}: ${end.status === 'rejected' ? ((end.reason as LanesError).code ?? String(end.reason)) : JSON.stringify(end.value)}`,
      );
    assert.deepEqual(wrong.slice(0, 10), [], `every handle gets its own job's result (${wrong.length} did not)`);

    const first = await producer.status(handles[0]!.id);
    assert.equal(first.state, 'completed', 'a trimmed job still reads as completed while its outcome is kept');
    assert.deepEqual(first.result, { value: 0 });

    // So does the HTTP API's job view.
    const dashboardEnv = ragTestEnv('ends-dash', { LANES_PREFIX: prefix, LOG_LEVEL: 'warn' });
    const port = await freePort();
    const dashboard = spawnLanes(['dashboard', '--port', String(port), '--host', '127.0.0.1'], dashboardEnv);
    try {
      const base = `http://127.0.0.1:${port}`;
      await untilHttpOk(`${base}/healthz`, 'the dashboard');
      const shown = await fetch(`${base}/api/jobs/${handles[0]!.id}`);
      assert.equal(shown.status, 200, 'a trimmed job is still shown while its outcome is kept');
      const view = (await shown.json()) as { state: string; result: unknown };
      assert.equal(view.state, 'completed');
      assert.deepEqual(view.result, { value: 0 });
    } finally {
      await dashboard.stop(5000);
      await dropRagState(dashboardEnv).catch(() => undefined);
    }
    t.diagnostic(
      `${TRIMMED_BURST} jobs ended, ${kept} job records kept by retention, ${TRIMMED_BURST} results delivered`,
    );
  });
});

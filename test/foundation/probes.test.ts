import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LanesWorker } from '@lanes/worker-core';
import { eventually, uniquePrefix } from '../support/env.ts';
import { startWorker } from '../support/workers.ts';
import { echo } from '../support/sample-tasks.ts';

describe('worker probes and metrics', () => {
  let worker: LanesWorker;
  let base: string;
  before(async () => {
    worker = await startWorker(uniquePrefix('probes'), {}, { LANES_LIVENESS_WINDOW_MS: '1000' });
    base = `http://127.0.0.1:${await worker.listen(0)}`;
  });
  after(() => worker.close());

  test('/healthz and /readyz answer 200 with Redis reachable', async () => {
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(((await ready.json()) as { checks: unknown }).checks, { redis: 'ok' });
  });

  test('/metrics counts jobs by task, lane and outcome and reports lane backlog', async () => {
    await (await worker.client.enqueue(echo, { message: 'm' })).wait({ timeoutMs: 5000 });
    await worker.client.enqueue(echo, { message: 'later' }, { delayMs: 60_000 });
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.match(text, /lanes_jobs_total\{task="echo",lane="default",outcome="completed"\} 1/);
    assert.match(text, /lanes_lane_backlog\{lane="default"\} 1/);
    assert.match(text, /lanes_lane_depth\{lane="default",state="delayed"\} 1/);
    assert.match(text, /lanes_job_duration_seconds_bucket/);
  });

  test('liveness fails when work waits, slots are free and no job is taken', async () => {
    await worker.pause();
    // A fetch already blocked in Redis may still take one job; the next ones stay waiting.
    await worker.client.enqueue(echo, { message: 'taken by the fetch in flight' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await worker.client.enqueue(echo, { message: 'stuck' });
    const status = await eventually(
      async () => {
        const res = await fetch(`${base}/healthz`);
        return res.status === 503 ? res.status : undefined;
      },
      10_000,
      '/healthz to report the wedged worker',
    );
    assert.equal(status, 503);
    worker.resume();
    await eventually(
      async () => ((await fetch(`${base}/healthz`)).status === 200 ? true : undefined),
      10_000,
      'recovery',
    );
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { JobFailedError, LanesClient } from '@lanes/client';
import { readOutcome } from '@lanes/queue';
import type { LanesWorker } from '@lanes/worker-core';
import { eventually, REDIS_URL, sleep, uniquePrefix } from '../support/env.ts';
import { spawnWorker, startWorker } from '../support/workers.ts';
import { DocumentRejectedError, InvalidPayloadError, JobCancelledError } from '@lanes/contracts';
import {
  closeCounters,
  flaky,
  limited,
  mixedChildren,
  overrun,
  rejectDocument,
  slow,
  square,
  stepwise,
  sumOfSquares,
} from '../support/sample-tasks.ts';

describe('worker runtime', () => {
  let worker: LanesWorker;
  let connection: Redis | undefined;
  const redis = (): Redis => (connection ??= new Redis(REDIS_URL));
  before(async () => {
    worker = await startWorker(uniquePrefix('runtime'));
  });
  after(async () => {
    await worker.close();
    closeCounters();
    connection?.disconnect();
  });

  test('a failing job is retried with exponential backoff until it succeeds', async () => {
    const startedAt = Date.now();
    const handle = await worker.client.enqueue(flaky, { succeedOn: 3 });
    const result = await handle.wait({ timeoutMs: 15_000 });
    assert.deepEqual(result, { attempt: 3 });
    // backoff 200 ms doubling, no jitter: at least 200 + 400 ms between the three attempts.
    assert.ok(Date.now() - startedAt >= 600, `retried too soon: ${Date.now() - startedAt} ms`);
    const status = await worker.client.status(handle.id);
    assert.equal(status.attemptsMade, 3);
  });

  test('a job that keeps failing fails after its attempts, with the reason', async () => {
    const handle = await worker.client.enqueue(flaky, { succeedOn: 99 });
    await assert.rejects(handle.wait({ timeoutMs: 15_000 }), JobFailedError);
    const status = await worker.client.status(handle.id);
    assert.equal(status.state, 'failed');
    assert.equal(status.attemptsMade, 4);
    assert.match(status.failedReason ?? '', /planned failure on attempt 4/);
  });

  test('an attempt past its timeout is stopped even when the handler ignores the signal', async () => {
    const handle = await worker.client.enqueue(overrun, { ms: 10_000 });
    const startedAt = Date.now();
    await assert.rejects(handle.wait({ timeoutMs: 8_000 }), JobFailedError);
    assert.ok(Date.now() - startedAt < 5000, 'the attempts should end at their 300 ms deadlines');
    const status = await worker.client.status(handle.id);
    assert.equal(status.attemptsMade, 2);
    assert.match(status.failedReason ?? '', /timed out after 300 ms/);
  });

  test('a parent waits for its children and receives their results in order', async () => {
    const handle = await worker.client.enqueue(sumOfSquares, { numbers: [1, 2, 3, 4] });
    assert.deepEqual(await handle.wait({ timeoutMs: 10_000 }), { sum: 30, children: 4 });
    // Each child reported on its parent through ctx.parent; the last report stays.
    const progress = (await worker.client.status(handle.id)).progress as { squaredBy?: string; parentLane?: string };
    assert.match(progress.squaredBy ?? '', /^idem-/, 'a child job id');
    assert.equal(progress.parentLane, 'default');
  });

  test("awaitChildren returns each child's result, typed from its contract, in the order given", async () => {
    const handle = await worker.client.enqueue(mixedChildren, { n: 3, message: 'hi' });
    assert.deepEqual(await handle.wait({ timeoutMs: 10_000 }), { squared: 9, echoed: 'hi', sum: 12 });
  });

  test('a step runs once although the handler is entered again after its children', async () => {
    const key = `steps:${randomUUID()}`;
    const handle = await worker.client.enqueue(stepwise, { key });
    assert.deepEqual(await handle.wait({ timeoutMs: 10_000 }), { first: 1, squared: 4, last: 1 });
    // Entered twice (before and after the suspension); each step's function ran once.
    assert.deepEqual(await redis().hgetall(key), { entries: '2', first: '1', beside: '1', last: '1' });
    await redis().del(key);
  });

  test('a failed child fails its parent', async () => {
    const handle = await worker.client.enqueue(mixedChildren, { n: 2, message: 'no', refuse: true });
    await assert.rejects(handle.wait({ timeoutMs: 10_000 }), JobFailedError);
    assert.equal((await worker.client.status(handle.id)).state, 'failed');
  });

  test('a waiting client gets the error that failed the job, rebuilt as its class from its code', async () => {
    const handle = await worker.client.enqueue(rejectDocument, { source: 'scan.pdf', reason: 'is encrypted' });
    await assert.rejects(handle.wait({ timeoutMs: 10_000 }), (error: unknown) => {
      assert.ok(error instanceof JobFailedError);
      assert.equal(error.code, 'JOB_FAILED');
      assert.equal(error.context.failureCode, 'DOCUMENT_REJECTED');
      const { failure } = error;
      assert.ok(failure instanceof DocumentRejectedError, `got ${String(failure)}`);
      assert.equal(failure.code, 'DOCUMENT_REJECTED');
      assert.deepEqual(failure.context, { source: 'scan.pdf', reason: 'is encrypted' });
      assert.equal(failure.reason, 'is encrypted');
      return true;
    });
  });

  test('once retention removed the failed job, a wait still gets its error by code from the outcome record', async () => {
    const handle = await worker.client.enqueue(rejectDocument, { source: 'gone.pdf', reason: 'is empty' });
    await assert.rejects(handle.wait({ timeoutMs: 10_000 }), JobFailedError);
    const kept = async (): Promise<true | undefined> =>
      (await readOutcome(redis(), worker.client.prefix, handle.id))?.outcome.failure === undefined ? undefined : true;
    await eventually(kept, 5000, 'the outcome record with the failure');
    await (await worker.client.locate(handle.id))!.job.remove();
    await assert.rejects(handle.wait({ timeoutMs: 5000 }), (error: unknown) => {
      assert.ok(
        error instanceof JobFailedError && error.failure instanceof DocumentRejectedError,
        `got ${String(error)}`,
      );
      assert.deepEqual(error.failure.context, { source: 'gone.pdf', reason: 'is empty' });
      return true;
    });
  });

  test('a payload refused by the worker reaches the waiting client as InvalidPayloadError with its issues', async () => {
    // Added past the client's own validation, as a producer outside Lanes might.
    const job = await worker.client.queues.get('default').add('echo', { message: 42 });
    await assert.rejects(worker.client.wait(job.id!, { timeoutMs: 10_000 }), (error: unknown) => {
      assert.ok(
        error instanceof JobFailedError && error.failure instanceof InvalidPayloadError,
        `got ${String(error)}`,
      );
      assert.deepEqual(
        error.failure.issues.map((issue) => issue.field),
        ['message'],
      );
      return true;
    });
  });

  test("a job that is nobody's child has no ctx.parent", async () => {
    const handle = await worker.client.enqueue(square, { n: 3 });
    assert.equal(await handle.wait({ timeoutMs: 10_000 }), 9);
    assert.equal((await worker.client.status(handle.id)).progress, 0);
  });

  test('cancel aborts a running job, which fails without retry', async () => {
    const handle = await worker.client.enqueue(slow, { ms: 20_000 });
    for (let i = 0; i < 100 && (await worker.client.status(handle.id)).state !== 'active'; i++)
      await new Promise((r) => setTimeout(r, 50));
    assert.equal(await worker.client.cancel(handle.id), 'signalled');
    await assert.rejects(
      handle.wait({ timeoutMs: 5000 }),
      (error: unknown) => error instanceof JobFailedError && error.failure instanceof JobCancelledError,
    );
    assert.equal((await worker.client.status(handle.id)).attemptsMade, 1);
  });

  test('per-task concurrency and shared rate limits hold', async () => {
    const handles = await worker.client.enqueueBulk(
      limited,
      Array.from({ length: 8 }, (_, i) => ({ payload: { i } })),
    );
    const results = (await Promise.all(handles.map((h) => h.wait({ timeoutMs: 15_000 })))) as Array<{ at: number }>;
    const times = results.map((r) => r.at).sort((a, b) => a - b);
    // 5 per second: the 8 starts cannot all fall within one second.
    assert.ok(times.at(-1)! - times[0]! >= 400, `8 starts in ${times.at(-1)! - times[0]!} ms exceed 5/s`);
  });
});

describe('steps across a worker crash', () => {
  test('a worker killed in the middle of a step: the job resumes there, completed steps and children not repeated', {
    timeout: 60_000,
  }, async () => {
    const prefix = uniquePrefix('steps-crash');
    const key = `steps:${randomUUID()}`;
    const redis = new Redis(REDIS_URL);
    const client = new LanesClient({ redisUrl: REDIS_URL, prefix });
    const first = spawnWorker(prefix);
    let second: ReturnType<typeof spawnWorker> | undefined;
    try {
      const handle = await client.enqueue(stepwise, { key, holdMs: 60_000 });
      // In step `last` (after `first` and the children), held there: kill the worker.
      await eventually(
        async () => ((await redis.hget(key, 'last')) === '1' ? true : undefined),
        20_000,
        'the job to reach its last step',
      );
      first.process.kill('SIGKILL');
      await first.exited;
      second = spawnWorker(prefix);
      assert.deepEqual(await handle.wait({ timeoutMs: 30_000 }), { first: 1, squared: 4, last: 2 });
      // Entered before the suspension, after it, and after the crash; `first` ran once, `last` again.
      assert.deepEqual(await redis.hgetall(key), { entries: '3', first: '1', beside: '1', last: '2' });
    } finally {
      second?.process.kill('SIGTERM');
      // A worker that does not drain in time must not hold the test process open.
      if (
        second !== undefined &&
        (await Promise.race([second.exited.then(() => true), sleep(15_000).then(() => false)])) === false
      )
        second.process.kill('SIGKILL');
      await client.close();
      await redis.del(key);
      redis.disconnect();
    }
  });
});

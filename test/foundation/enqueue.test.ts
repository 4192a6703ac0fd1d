import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidPayloadError } from '@lanes/contracts';
import { LanesClient } from '@lanes/client';
import { REDIS_URL, uniquePrefix } from '../support/env.ts';
import { echo, slow } from '../support/sample-tasks.ts';

describe('enqueue', () => {
  const client = new LanesClient({ redisUrl: REDIS_URL, prefix: uniquePrefix('enqueue') });
  after(() => client.close());

  test('a bad payload is refused before anything reaches Redis, naming the field', async () => {
    await assert.rejects(
      // @ts-expect-error: the wrong type also fails to compile
      client.enqueue(echo, { message: 42 }),
      (error: unknown) =>
        error instanceof InvalidPayloadError &&
        error.issues.some((issue) => issue.field === 'message') &&
        /message/.test(error.message),
    );
    await assert.rejects(
      // @ts-expect-error: a missing field fails to compile too
      client.enqueue(slow, {}),
      (error: unknown) => error instanceof InvalidPayloadError && error.issues[0]?.field === 'ms',
    );
    const counts = await client.queues.get('default').getJobCounts('waiting', 'delayed', 'prioritized');
    assert.deepEqual(counts, { waiting: 0, delayed: 0, prioritized: 0 });
  });

  test('a job goes to its home lane, or the lane named in its options', async () => {
    const home = await client.enqueue(echo, { message: 'hi' });
    assert.equal(home.queue, 'default');
    const moved = await client.enqueue(echo, { message: 'hi' }, { lane: 'low' });
    assert.equal(moved.queue, 'low');
    assert.equal((await client.status(moved.id)).queue, 'low');
  });

  test('the same idempotency key gives the same job, never a duplicate', async () => {
    const before = await client.queues.get('default').getWaitingCount();
    const first = await client.enqueue(echo, { message: 'once' }, { idempotencyKey: 'order-17' });
    const second = await client.enqueue(echo, { message: 'once' }, { idempotencyKey: 'order-17' });
    const other = await client.enqueue(echo, { message: 'once' }, { idempotencyKey: 'order-18' });
    assert.equal(first.id, second.id);
    assert.notEqual(first.id, other.id);
    assert.equal(await client.queues.get('default').getWaitingCount(), before + 2);
  });

  test('bulk enqueue validates every payload first and writes none when one is bad', async () => {
    const lane = client.queues.get('default');
    const before = await lane.getWaitingCount();
    await assert.rejects(
      client.enqueueBulk(echo, [{ payload: { message: 'a' } }, { payload: { message: 'b', count: -1 } }]),
      (error: unknown) => error instanceof InvalidPayloadError && error.issues[0]?.field === 'count',
    );
    assert.equal(await lane.getWaitingCount(), before);
    const handles = await client.enqueueBulk(echo, [
      { payload: { message: 'a' } },
      { payload: { message: 'b' }, options: { delayMs: 60_000 } },
    ]);
    assert.equal(handles.length, 2);
    assert.equal((await client.status(handles[1]!.id)).state, 'delayed');
  });

  test('priority and delay are accepted; status of an unknown id says unknown', async () => {
    const urgent = await client.enqueue(echo, { message: 'p' }, { priority: 1 });
    assert.equal((await client.status(urgent.id)).state, 'waiting');
    assert.equal((await client.status('no-such-job')).state, 'unknown');
  });

  test('cancel removes a job that has not started', async () => {
    const handle = await client.enqueue(echo, { message: 'never' }, { delayMs: 60_000 });
    assert.equal(await client.cancel(handle.id), 'removed');
    assert.equal((await client.status(handle.id)).state, 'unknown');
  });
});

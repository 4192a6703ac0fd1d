import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { EmbeddingUnavailableError } from '@lanes/tasks';
import { ModelThreads } from '../../packages/tasks/src/embed/model-threads.ts';

const CPU_WORK = new URL('../support/cpu-work.ts', import.meta.url);

describe('model threads (where use-lite runs)', () => {
  const pools: Array<ModelThreads<unknown, unknown>> = [];
  const pool = <I, O>(exportName: string, size = 1): ModelThreads<I, O> => {
    const created = new ModelThreads<I, O>({ moduleUrl: CPU_WORK, exportName, size, maxHeapMb: 128 });
    pools.push(created as ModelThreads<unknown, unknown>);
    return created;
  };

  after(async () => {
    await Promise.all(pools.map((created) => created.close()));
  });

  test('CPU-bound calls run off the event loop, on threads started on demand and reused', async () => {
    const threads = pool<{ ms: number }, number>('spin', 2);
    assert.equal(threads.started, 0);
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 20);
    const loops = await Promise.all([threads.run({ ms: 400 }), threads.run({ ms: 400 }), threads.run({ ms: 400 })]);
    clearInterval(timer);
    assert.ok(loops.every((count) => count > 0));
    assert.equal(threads.started, 2);
    assert.ok(ticks >= 5, `the event loop kept running (${ticks} ticks of 20 ms)`);
  });

  test('an error thrown by the model fails that call only; the thread serves the next', async () => {
    const threads = pool<{ message: string }, never>('fail');
    await assert.rejects(
      threads.run({ message: 'bad input' }),
      (error: unknown) => error instanceof EmbeddingUnavailableError && /bad input/.test(error.message),
    );
    await assert.rejects(threads.run({ message: 'again' }), /again/);
    assert.equal(threads.started, 1);
  });

  test('a thread that dies fails its call as unavailable, and the next call gets a new thread', async () => {
    const threads = pool<{ code: number }, never>('exitThread');
    await assert.rejects(
      threads.run({ code: 7 }),
      (error: unknown) => error instanceof EmbeddingUnavailableError && /exited with code 7/.test(error.message),
    );
    assert.equal(threads.started, 0);
    await assert.rejects(threads.run({ code: 8 }), /code 8/);
  });

  test('after close, calls are refused', async () => {
    const threads = pool<{ ms: number }, number>('spin');
    assert.ok((await threads.run({ ms: 1 })) >= 0);
    await threads.close();
    await assert.rejects(threads.run({ ms: 1 }), EmbeddingUnavailableError);
  });
});

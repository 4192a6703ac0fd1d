import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IsolateCrashedError, runIsolated } from '@lanes/worker-core';

const WORK = new URL('../support/cpu-work.ts', import.meta.url);

test('CPU-bound work in a thread leaves the event loop free (lock renewal keeps ticking)', async () => {
  let ticks = 0;
  const timer = setInterval(() => (ticks += 1), 20);
  try {
    const loops = await runIsolated<{ ms: number }, number>(WORK, 'spin', { ms: 800 });
    assert.ok(loops > 0);
  } finally {
    clearInterval(timer);
  }
  // 800 ms of spinning on the main thread would have allowed no tick at all.
  assert.ok(ticks >= 10, `only ${ticks} timer ticks during 800 ms of isolated work`);
});

test('an abort kills the thread at once', async () => {
  const controller = new AbortController();
  const startedAt = Date.now();
  setTimeout(() => controller.abort(new Error('deadline')), 200);
  await assert.rejects(runIsolated(WORK, 'spin', { ms: 30_000 }, { signal: controller.signal }), /deadline/);
  assert.ok(Date.now() - startedAt < 5000);
});

test('a runaway allocation hits the heap cap and fails readably; the process goes on', async () => {
  await assert.rejects(
    runIsolated(WORK, 'hog', {}, { maxHeapMb: 64 }),
    (error: unknown) => error instanceof IsolateCrashedError && /memory/.test(error.message),
  );
  assert.equal(await runIsolated(WORK, 'spin', { ms: 1 }).then((loops) => typeof loops), 'number');
});

test('a thrown error keeps its message', async () => {
  await assert.rejects(runIsolated(WORK, 'fail', { message: 'bad page 7' }), /bad page 7/);
});

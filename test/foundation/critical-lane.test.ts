import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from '@lanes/contracts';
import { defineTask, type LanesWorker } from '@lanes/worker-core';
import { AttemptStop } from '../../packages/worker-core/src/runtime/attempt-stop.ts';
import { eventually, uniquePrefix } from '../support/env.ts';
import { startWorker } from '../support/workers.ts';

/** Handler starts, in order, across both lanes. */
const started: string[] = [];
let openGate: () => void = () => undefined;
const gate = new Promise<void>((resolve) => (openGate = resolve));

/** Low work that holds its slot until the test opens the gate: the low lane stays saturated. */
const heldLow = defineTask({
  name: 'held-low',
  lane: 'low',
  schema: z.object({ n: z.number().int() }),
  handler: async ({ n }) => {
    started.push(`low-${n}`);
    await gate;
    return n;
  },
});

const urgent = defineTask({
  name: 'urgent',
  lane: 'critical',
  schema: z.object({}),
  handler: async () => {
    started.push('critical');
    return 'done';
  },
});

describe('the critical lane', () => {
  let worker: LanesWorker;
  before(async () => {
    worker = await startWorker(uniquePrefix('critical'), {
      tasks: [heldLow, urgent],
      lanes: ['critical', 'low'],
      concurrency: { critical: 1, low: 1 },
    });
  });
  after(async () => {
    openGate();
    await worker.close();
  });

  test('a critical job added while the low lane is saturated starts before the next low job', async () => {
    const lows = await worker.client.enqueueBulk(
      heldLow,
      [0, 1, 2].map((n) => ({ payload: { n } })),
    );
    await eventually(async () => (started.length > 0 ? true : undefined), 10_000, 'the first low job to start');
    const critical = await worker.client.enqueue(urgent, {});
    assert.equal(await critical.wait({ timeoutMs: 10_000 }), 'done');
    // The low slot is still held: the critical job had a slot of its own.
    assert.deepEqual(started, ['low-0', 'critical']);
    openGate();
    await Promise.all(lows.map((low) => low.wait({ timeoutMs: 10_000 })));
    assert.deepEqual(started, ['low-0', 'critical', 'low-1', 'low-2']);
  });
});

describe('an attempt stop', () => {
  test('cuts off a handler that never settles, with the reason of the first stop', async () => {
    const stop = new AttemptStop();
    const never = new Promise<never>(() => undefined);
    const cut = stop.cutOff(never);
    stop.abort(new Error('deadline'));
    stop.abort(new Error('later'));
    await assert.rejects(cut, /deadline/);
  });

  test('a signal first read after the stop is already aborted with its reason', () => {
    const stop = new AttemptStop();
    stop.abort(new Error('cancelled'));
    assert.equal(stop.signal.aborted, true);
    assert.match(String(stop.signal.reason), /cancelled/);
  });

  test("a signal read before the stop is aborted by it; the handler's own result wins when it settles first", async () => {
    const stop = new AttemptStop();
    const { signal } = stop;
    assert.equal(await stop.cutOff(Promise.resolve(7)), 7);
    stop.abort(new Error('lock lost'));
    assert.equal(signal.aborted, true);
  });
});

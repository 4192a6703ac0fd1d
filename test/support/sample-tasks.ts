// Tasks used by the foundation tests, loaded by in-process workers and by spawned
// `lanes worker --tasks test/support/sample-tasks.ts` processes alike.
import type { Redis } from 'ioredis';
import { DocumentRejectedError, PermanentError, z } from '@lanes/contracts';
import { createBlockingConnection } from '@lanes/queue';
import { child, defineTask } from '@lanes/worker-core';

let connection: Redis | undefined;

/** Where the step tasks count their runs: the worker's Redis, under keys the test names. */
function counters(): Redis {
  connection ??= createBlockingConnection(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  return connection;
}

/** For in-process workers: lets the test process exit. */
export function closeCounters(): void {
  connection?.disconnect();
  connection = undefined;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

export const echo = defineTask({
  name: 'echo',
  lane: 'default',
  schema: z.object({ message: z.string(), count: z.number().int().min(0).optional() }),
  handler: async (payload) => ({ echoed: payload.message, count: payload.count ?? 0 }),
});

/** Sleeps `ms`; with `ignoreSignal` it keeps sleeping even when aborted (a badly written handler). */
export const slow = defineTask({
  name: 'slow',
  lane: 'default',
  schema: z.object({
    ms: z.number().int().min(0),
    ignoreSignal: z.boolean().default(false),
    tag: z.string().optional(),
  }),
  retry: { attempts: 3, backoffMs: 100 },
  handler: async ({ ms, ignoreSignal }, ctx) => {
    await ctx.progress({ sleeping: ms });
    await sleep(ms, ignoreSignal ? undefined : ctx.signal);
    return { slept: ms, attempt: ctx.job.attempt };
  },
});

/** Fails until its attempt number reaches `succeedOn`. */
export const flaky = defineTask({
  name: 'flaky',
  lane: 'default',
  schema: z.object({ succeedOn: z.number().int().min(1) }),
  retry: { attempts: 4, backoffMs: 200, jitter: 0 },
  handler: async ({ succeedOn }, ctx) => {
    if (ctx.job.attempt < succeedOn) throw new Error(`planned failure on attempt ${ctx.job.attempt}`);
    return { attempt: ctx.job.attempt };
  },
});

/** Runs past its 300 ms deadline, ignoring the signal: the runtime must still end the attempt. */
export const overrun = defineTask({
  name: 'overrun',
  lane: 'default',
  schema: z.object({ ms: z.number().int() }),
  retry: { attempts: 2, backoffMs: 50 },
  timeoutMs: 300,
  handler: async ({ ms }, ctx) => {
    const aborted = new Promise<string>((resolve) =>
      ctx.signal.addEventListener('abort', () => resolve('aborted'), { once: true }),
    );
    await Promise.race([sleep(ms), aborted]);
    return { finished: true };
  },
});

export const lowWork = defineTask({
  name: 'low-work',
  lane: 'low',
  schema: z.object({ ms: z.number().int().min(0) }),
  handler: async ({ ms }) => {
    await sleep(ms);
    return { done: true };
  },
});

export const criticalPing = defineTask({
  name: 'critical-ping',
  lane: 'critical',
  schema: z.object({ sentAt: z.number() }),
  handler: async ({ sentAt }) => ({ waitedMs: Date.now() - sentAt }),
});

/** Squares; as a child, also reports on its parent's progress through the runtime. */
export const square = defineTask({
  name: 'square',
  lane: 'default',
  schema: z.object({ n: z.number() }),
  handler: async ({ n }, ctx) => {
    await ctx.parent?.progress({ squaredBy: ctx.job.id, parentLane: ctx.parent.lane });
    return n * n;
  },
});

/** Fans out one `square` child per number, then sums their results once they are all done. */
export const sumOfSquares = defineTask({
  name: 'sum-of-squares',
  lane: 'default',
  schema: z.object({ numbers: z.array(z.number()).min(1) }),
  handler: async ({ numbers }, ctx) => {
    const values: number[] = await ctx.awaitChildren(numbers.map((n, i) => child(square, { n }, `n${i}`)));
    return { sum: values.reduce((a, b) => a + b, 0), children: values.length };
  },
});

/** Fails for good on its first attempt. */
export const refuse = defineTask({
  name: 'refuse',
  lane: 'default',
  schema: z.object({ why: z.string() }),
  handler: async ({ why }): Promise<{ never: true }> => {
    throw new PermanentError(`refused: ${why}`);
  },
});

/** Fails as a document the pipeline cannot read. */
export const rejectDocument = defineTask({
  name: 'reject-document',
  lane: 'default',
  schema: z.object({ source: z.string(), reason: z.string() }),
  handler: async ({ source, reason }): Promise<{ never: true }> => {
    throw new DocumentRejectedError(source, reason);
  },
});

/** Children of two tasks at once: each result typed from its own contract. */
export const mixedChildren = defineTask({
  name: 'mixed-children',
  lane: 'default',
  schema: z.object({ n: z.number(), message: z.string(), refuse: z.boolean().default(false) }),
  handler: async ({ n, message, refuse: refused }, ctx) => {
    const [squared, echoed] = await ctx.awaitChildren([
      child(square, { n }, 'square'),
      child(echo, { message, count: n }, 'echo'),
    ]);
    if (refused) await ctx.awaitChildren([child(refuse, { why: message }, 'refuse')]);
    const sum: number = squared + echoed.count;
    return { squared, echoed: echoed.echoed, sum };
  },
});

/**
 * Counts under `key`: handler entries (outside any step), each step's runs, and the runs of
 * `last` that got past its hold; with `holdMs`, `last` waits that long on its first run only,
 * so a test can kill the worker between the steps.
 */
export const stepwise = defineTask({
  name: 'stepwise',
  lane: 'default',
  schema: z.object({ key: z.string(), holdMs: z.number().int().min(0).default(0) }),
  retry: { attempts: 3, backoffMs: 100 },
  handler: async ({ key, holdMs }, ctx) => {
    await counters().hincrby(key, 'entries', 1);
    // Two steps side by side: both records must survive.
    const [first] = await Promise.all([
      ctx.step('first', () => counters().hincrby(key, 'first', 1)),
      ctx.step('beside', () => counters().hincrby(key, 'beside', 1)),
    ]);
    // Delayed, so the parent surely suspends before its child ends.
    const [squared] = await ctx.awaitChildren([child(square, { n: first + 1 }, 'square', { delayMs: 300 })]);
    const last = await ctx.step('last', async () => {
      const runs = await counters().hincrby(key, 'last', 1);
      if (runs === 1 && holdMs > 0) await sleep(holdMs, ctx.signal);
      return runs;
    });
    return { first, squared, last };
  },
});

export const limited = defineTask({
  name: 'limited',
  lane: 'default',
  schema: z.object({ i: z.number() }),
  concurrency: 1,
  rateLimit: { max: 5, perMs: 1000 },
  handler: async ({ i }) => ({ i, at: Date.now() }),
});

export const sampleTasks = [
  echo,
  slow,
  flaky,
  overrun,
  lowWork,
  criticalPing,
  square,
  sumOfSquares,
  limited,
  refuse,
  rejectDocument,
  mixedChildren,
  stepwise,
];

// Tasks for the reliability suite, run by spawned `lanes worker --no-builtins --tasks <this file>`
// processes. Their side effects go to the worker's own REDIS_URL under the hash-tagged prefix
// (so they also land in the lanes' slot on a Redis Cluster), and are idempotent where the test
// needs to compare sets: SADD of the job id, plus a per-job run counter that reveals re-runs.
import type { Redis } from 'ioredis';
import { createBlockingConnection, hashTaggedPrefix } from '@lanes/queue';
import { PermanentError, z } from '@lanes/contracts';
import { defineTask } from '@lanes/worker-core';

/** Keys the tasks write, under the lanes' own prefix: the tests read them back. */
export function sideEffectKeys(prefix: string): { done: string; runs: string; bits: string; ticks: string } {
  const tagged = hashTaggedPrefix(prefix);
  return {
    done: `${tagged}:rel:done`,
    runs: `${tagged}:rel:runs`,
    bits: `${tagged}:rel:bits`,
    ticks: `${tagged}:rel:ticks`,
  };
}

let connection: Redis | undefined;

/** Retries forever like the worker's own connections, so a Redis restart only delays a job. */
function redis(): Redis {
  connection ??= createBlockingConnection(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  return connection;
}

function keys(): ReturnType<typeof sideEffectKeys> {
  return sideEffectKeys(process.env.LANES_PREFIX ?? 'lanes');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/** Works `ms`, then records its job id in the done set and bumps its run counter. */
export const relMark = defineTask({
  name: 'rel-mark',
  lane: 'default',
  schema: z.object({ ms: z.number().int().min(0).max(10_000) }),
  retry: { attempts: 5, backoffMs: 100 },
  handler: async ({ ms }, ctx) => {
    await sleep(ms, ctx.signal);
    const k = keys();
    await redis().multi().sadd(k.done, ctx.job.id).hincrby(k.runs, ctx.job.id, 1).exec();
    return { id: ctx.job.id };
  },
});

/** Ends at once: returns its value, or with `fail` fails for good with a reason naming it. */
export const relEcho = defineTask({
  name: 'rel-echo',
  lane: 'default',
  schema: z.object({ value: z.number().int(), fail: z.boolean().default(false) }),
  retry: { attempts: 1, backoffMs: 10 },
  handler: async ({ value, fail }) => {
    if (fail) throw new PermanentError(`echo ${value} failed as asked`);
    return { value };
  },
});

/** The cheapest job that still proves it ran: one bit per sequence number, plus a run count. */
export const relTick = defineTask({
  name: 'rel-tick',
  lane: 'default',
  schema: z.object({ seq: z.number().int().min(0) }),
  handler: async ({ seq }) => {
    const k = keys();
    await redis().multi().setbit(k.bits, seq, 1).incr(k.ticks).exec();
    return 1;
  },
});

/**
 * Carries a secret in its payload and logs the payload, as a careless task might; the logger's
 * redaction must keep the secret out of the output. With `fail` it fails after logging.
 */
export const relSecret = defineTask({
  name: 'rel-secret',
  lane: 'default',
  schema: z.object({ apiKey: z.string(), note: z.string(), fail: z.boolean().default(false) }),
  retry: { attempts: 1, backoffMs: 10 },
  handler: async (payload, ctx) => {
    ctx.logger.info({ payload }, 'handling a payload with a secret');
    ctx.logger.info({ apiKey: payload.apiKey }, 'the key itself');
    if (payload.fail) throw new Error(`planned failure for ${payload.note}`);
    return { note: payload.note };
  },
});

export const reliabilityTasks = [relMark, relTick, relSecret];

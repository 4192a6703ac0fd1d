import { z } from '@lanes/contracts';
import { defineTask } from '@lanes/worker-core';
import { sleep } from '../../lib/time.ts';

/** What the bench's critical handler calls when it starts: set per run by the side that serves it. */
let onCriticalStart: (index: number, sentAt: number) => void = () => undefined;
let onLowStart: () => void = () => undefined;

export function observeStarts(critical: (index: number, sentAt: number) => void, low: () => void): void {
  onCriticalStart = critical;
  onLowStart = low;
}

export const benchLow = defineTask({
  name: 'bench-low',
  lane: 'low',
  schema: z.object({ ms: z.number().int().min(0) }),
  handler: async ({ ms }) => {
    onLowStart();
    await sleep(ms);
    return null;
  },
});

/** `sentAt` is the sender's absolute time (performance.timeOrigin + now), comparable across processes. */
export const benchCritical = defineTask({
  name: 'bench-critical',
  lane: 'critical',
  schema: z.object({ index: z.number().int(), sentAt: z.number() }),
  handler: async ({ index, sentAt }) => {
    onCriticalStart(index, sentAt);
    return null;
  },
});

/** Milliseconds since the epoch at sub-millisecond resolution, the same clock in every process on the machine. */
export function absoluteNow(): number {
  return performance.timeOrigin + performance.now();
}

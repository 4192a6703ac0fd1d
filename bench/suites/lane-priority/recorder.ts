import { deferred, sleep } from '../../lib/time.ts';
import { absoluteNow } from './bench-tasks.ts';
import type { PriorityOutcome, PrioritySizes } from './side.ts';

/**
 * Shared bookkeeping of one side's run: when each low job started, when each critical job was
 * sent and when it started; the sending loop itself, at a fixed schedule, so every side sees the
 * same offered load.
 */
export class PriorityRecorder {
  lowStarted = 0;
  readonly #criticalWaits: number[];
  readonly #criticalStarted = deferred();
  #criticalCount = 0;

  constructor(criticals: number) {
    this.#criticalWaits = new Array<number>(criticals).fill(Number.POSITIVE_INFINITY);
  }

  lowStart(): void {
    this.lowStarted += 1;
  }

  /** Called by the critical handler with the payload it received (`sentAt` from absoluteNow()). */
  criticalStart(index: number, sentAt: number): void {
    this.criticalWaited(index, absoluteNow() - sentAt);
  }

  /** A critical job's wait as measured where it started (another process, for the split deployment). */
  criticalWaited(index: number, waitMs: number): void {
    this.#criticalWaits[index] = waitMs;
    this.#criticalCount += 1;
    if (this.#criticalCount === this.#criticalWaits.length) this.#criticalStarted.resolve();
  }

  /**
   * Sends the critical jobs on schedule (one every `criticalEveryMs`, not waiting for the previous
   * add to return), then waits up to `settleMs` for the last to start.
   */
  async drive(
    sizes: PrioritySizes,
    send: (index: number, sentAt: number) => Promise<unknown>,
  ): Promise<PriorityOutcome> {
    const startedAt = performance.now();
    const lowAtStart = this.lowStarted;
    const sends: Array<Promise<unknown>> = [];
    for (let i = 0; i < sizes.criticals; i++) {
      const delay = startedAt + i * sizes.criticalEveryMs - performance.now();
      if (delay > 0) await sleep(delay);
      sends.push(send(i, absoluteNow()));
    }
    const sentAt = performance.now();
    const lowDuringSend = this.lowStarted - lowAtStart;
    const backlogAtLastCritical = Math.max(0, sizes.backlog - this.lowStarted);
    await Promise.all(sends);
    await Promise.race([this.#criticalStarted.promise, sleep(sizes.settleMs)]);
    return {
      criticalWaitsMs: [...this.#criticalWaits],
      lowPerSecond: (lowDuringSend * 1000) / (sentAt - startedAt),
      backlogAtLastCritical,
    };
  }
}

export { sleep };

import { deferred } from './time.ts';

/**
 * Counts handler calls for one measured run: the time of the first and of the Nth call, and a
 * promise that resolves at the Nth. The same object serves every queue library, so they are
 * timed the same way.
 */
export class Tally {
  readonly expected: number;
  count = 0;
  firstAt = 0;
  lastAt = 0;
  #cpuAtFirst: NodeJS.CpuUsage | undefined;
  #cpuBetween: NodeJS.CpuUsage | undefined;
  readonly #done = deferred();

  constructor(expected: number) {
    this.expected = expected;
  }

  hit(): void {
    const now = performance.now();
    if (this.count === 0) {
      this.firstAt = now;
      this.#cpuAtFirst = process.cpuUsage();
    }
    this.count += 1;
    if (this.count === this.expected) {
      this.lastAt = now;
      this.#cpuBetween = process.cpuUsage(this.#cpuAtFirst);
      this.#done.resolve();
    }
  }

  get done(): Promise<void> {
    return this.#done.promise;
  }

  /** Jobs per second between the first and the Nth handler call. */
  get perSecond(): number {
    const elapsedMs = this.lastAt - this.firstAt;
    return elapsedMs > 0 ? ((this.expected - 1) * 1000) / elapsedMs : Number.NaN;
  }

  /** CPU time this process spent per job over the same window (user + system, microseconds). */
  get cpuMicrosPerJob(): number {
    const cpu = this.#cpuBetween;
    return cpu === undefined || this.expected < 2 ? Number.NaN : (cpu.user + cpu.system) / (this.expected - 1);
  }
}

import { readFileSync } from 'node:fs';
import { sleep } from './time.ts';

/**
 * The machine is shared (other test runs, editors): these helpers see how much CPU went to
 * processes other than the bench and Redis during a measurement, so a disturbed sample can be
 * retaken, and wait for a quiet moment before starting one. Linux only; elsewhere they report
 * nothing and never wait.
 */

interface CpuSnapshot {
  /** All non-idle jiffies of the machine. */
  readonly busy: number;
  readonly total: number;
  /** Jiffies used by the watched processes (this one, Redis, spawned workers). */
  readonly watched: number;
}

function readMachine(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

function readProcess(pid: number | 'self'): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime are fields 14-17 (1-based), i.e. 11-14 after the comm.
    return Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  } catch {
    return 0;
  }
}

export class CpuWatch {
  readonly #pids: Array<number | 'self'>;

  constructor(extraPids: readonly number[] = []) {
    this.#pids = ['self', ...extraPids];
  }

  watch(pid: number): void {
    this.#pids.push(pid);
  }

  snapshot(): CpuSnapshot | null {
    const machine = readMachine();
    if (machine === null) return null;
    let watched = 0;
    for (const pid of this.#pids) watched += readProcess(pid);
    return { ...machine, watched };
  }

  /** Cores' worth of CPU used by other processes between two snapshots (0 = none, 1 = one full core). */
  static foreignCores(from: CpuSnapshot | null, to: CpuSnapshot | null, cores: number): number | null {
    if (from === null || to === null || to.total <= from.total) return null;
    const foreign = Math.max(0, to.busy - from.busy - (to.watched - from.watched));
    return (foreign / (to.total - from.total)) * cores;
  }

  /**
   * Waits (at most `maxWaitMs`) until other processes use less than `maxForeignCores` over a
   * half-second window; returns the last figure seen.
   */
  async waitForQuiet(cores: number, maxForeignCores = 0.2, maxWaitMs = 20_000): Promise<number | null> {
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      const from = this.snapshot();
      await sleep(500);
      const foreign = CpuWatch.foreignCores(from, this.snapshot(), cores);
      if (foreign === null || foreign <= maxForeignCores || Date.now() >= deadline) return foreign;
    }
  }
}

/** Redis' pid from INFO, so its CPU counts as part of the measurement, not as disturbance. */
export function redisPidFromInfo(info: string): number | undefined {
  const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

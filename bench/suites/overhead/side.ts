/** One queue library under test in the overhead suite: enqueue N no-op jobs, then process them. */
export interface OverheadSide {
  readonly name: string;
  /** Adds `count` jobs in chunks of `chunk` with the library's bulk call; returns jobs/s. */
  enqueue(count: number, chunk: number): Promise<number>;
  /** Starts a worker at `concurrency` on the jobs enqueued before; returns jobs/s. */
  process(count: number, concurrency: number, deadlineMs: number): Promise<number>;
  /** Closes connections and deletes every key of this side. */
  dispose(): Promise<void>;
}

export interface SideFactoryOptions {
  readonly redisUrl: string;
  /** Unique per side and repetition. */
  readonly prefix: string;
}

/** Payloads are built before the clock starts, the same for every side. */
export function payloads(count: number): Array<{ i: number }> {
  return Array.from({ length: count }, (_, i) => ({ i }));
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

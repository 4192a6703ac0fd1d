/** Throughput and this process' CPU time per job over the measured window. */
export interface Throughput {
  readonly perSecond: number;
  readonly cpuMicrosPerJob: number;
}

/** Times a loop of bulk calls: wall clock and CPU of this process. */
export async function timeBulk(count: number, body: () => Promise<void>): Promise<Throughput> {
  const cpu = process.cpuUsage();
  const startedAt = performance.now();
  await body();
  const elapsed = performance.now() - startedAt;
  const used = process.cpuUsage(cpu);
  return { perSecond: (count * 1000) / elapsed, cpuMicrosPerJob: (used.user + used.system) / count };
}

/** One queue library under test in the overhead suite: enqueue N no-op jobs, then process them. */
export interface OverheadSide {
  readonly name: string;
  /** Adds `count` jobs in chunks of `chunk` with the library's bulk call; returns jobs/s and CPU per job. */
  enqueue(count: number, chunk: number): Promise<Throughput>;
  /** Starts a worker at `concurrency` on the jobs enqueued before; returns jobs/s and CPU per job. */
  process(count: number, concurrency: number, deadlineMs: number): Promise<Throughput>;
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

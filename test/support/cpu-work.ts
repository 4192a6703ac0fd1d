// Functions run in worker threads by the isolation tests (runIsolated imports this module).

/** Spins the CPU for `ms` milliseconds and returns how many loops it made. */
export function spin(input: { ms: number }): number {
  const until = Date.now() + input.ms;
  let loops = 0;
  while (Date.now() < until) loops += 1;
  return loops;
}

/** Allocates until the thread's heap cap stops it. */
export function hog(): number {
  const kept: number[][] = [];
  for (;;) kept.push(new Array(1_000_000).fill(kept.length));
}

export function fail(input: { message: string }): never {
  throw new Error(input.message);
}

/** Ends the thread it runs in (a crashed model thread, for the model-threads tests). */
export function exitThread(input: { code: number }): never {
  process.exit(input.code);
}

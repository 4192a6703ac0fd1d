import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { withDeadline } from './time.ts';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(REPO_ROOT, 'packages', 'cli', 'src', 'main.ts');

/**
 * A spawned `lanes worker` process (the real CLI, built-in RAG tasks), as deployed. For
 * debugging a suite: BENCH_WORKER_LOG=1 echoes the workers' logs, BENCH_WORKER_LOG_LEVEL sets
 * their level (default info: the "worker started" line is how readiness is seen).
 */
export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it exited. */
  stop(graceMs?: number): Promise<void>;
}

export function spawnWorker(
  env: Record<string, string>,
  args: readonly string[] = [],
  readyTimeoutMs = 60_000,
): Promise<WorkerProcess> {
  return spawnUntilStarted([CLI, 'worker', ...args], env, readyTimeoutMs);
}

/** Any process that logs "worker started" once it serves (a baseline written against a queue library directly). */
export async function spawnUntilStarted(
  argv: readonly string[],
  env: Record<string, string>,
  readyTimeoutMs = 60_000,
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, argv, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, LOG_LEVEL: process.env.BENCH_WORKER_LOG_LEVEL ?? 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (process.env.BENCH_WORKER_LOG !== undefined) process.stderr.write(chunk);
      if (output.length > 200_000) output = output.slice(-100_000);
      if (output.includes('worker started')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`worker exited with ${code} before it was ready: ${output.slice(-2000)}`)),
    );
  });
  const handle: WorkerProcess = {
    child,
    pid: child.pid ?? -1,
    output: () => output,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    await withDeadline(ready, readyTimeoutMs, 'worker start-up');
  } catch (error) {
    await handle.stop(1000);
    throw error;
  }
  return handle;
}

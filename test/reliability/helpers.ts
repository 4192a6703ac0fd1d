// Helpers for the reliability suite: spawned worker processes running test/reliability/tasks.ts
// against any Redis URL, process memory sampling and small series summaries.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import type { LanesClient } from '@lanes/client';
import type { JobStatus } from '@lanes/contracts';
import { REPO_ROOT, sleep } from '../support/env.ts';
import { CLI } from '../support/workers.ts';

export const RELIABILITY_TASKS = join(REPO_ROOT, 'test', 'reliability', 'tasks.ts');

export interface WorkerProcess {
  readonly process: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything it wrote (stdout and stderr), the last `keepOutput` characters of it. */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface WorkerProcessOptions {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly args?: readonly string[];
  readonly env?: Record<string, string>;
  readonly keepOutput?: number;
  /** Task modules to load (default: test/reliability/tasks.ts, none with `builtins`). */
  readonly tasks?: readonly string[];
  /** Run the built-in RAG tasks (needs DATABASE_URL) instead of `--no-builtins`. */
  readonly builtins?: boolean;
  /** Run inside this network namespace (`ip netns exec`, which execs the process: same pid). */
  readonly netns?: string;
}

/** A real `lanes worker` process: by default `--no-builtins --tasks test/reliability/tasks.ts`. */
export function spawnLanesWorker(options: WorkerProcessOptions): WorkerProcess {
  const tasks = options.tasks ?? (options.builtins === true ? [] : [RELIABILITY_TASKS]);
  const args = [
    'worker',
    ...(options.builtins === true ? [] : ['--no-builtins']),
    ...(tasks.length > 0 ? ['--tasks', tasks.join(',')] : []),
    ...(options.args ?? []),
  ];
  return spawnLanes(
    args,
    { REDIS_URL: options.redisUrl, LANES_PREFIX: options.prefix, LOG_LEVEL: 'warn', ...options.env },
    options.keepOutput,
    options.netns,
  );
}

/** Any long-running `lanes` command (worker, dashboard) as a child process. */
export function spawnLanes(
  lanesArgs: readonly string[],
  env: Record<string, string>,
  keepOutput = 200_000,
  netns?: string,
): WorkerProcess {
  const keep = keepOutput;
  const command = [process.execPath, CLI, ...lanesArgs];
  if (netns !== undefined) command.unshift('ip', 'netns', 'exec', netns);
  const child = spawn(command[0]!, command.slice(1), {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString();
    if (output.length > keep * 2) output = output.slice(-keep);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const signal = async (
    sig: NodeJS.Signals,
    graceMs: number,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const result = await exited;
    clearTimeout(timer);
    return result;
  };
  return {
    process: child,
    pid: child.pid ?? -1,
    exited,
    output: () => output.slice(-keep),
    stop: (graceMs = 15_000) => signal('SIGTERM', graceMs),
    kill: () => signal('SIGKILL', 5000),
  };
}

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs the `lanes` CLI with exactly `env` over this process's; SIGKILLed after `timeoutMs`. */
export function runLanes(args: readonly string[], env: Record<string, string>, timeoutMs = 30_000): Promise<CliRun> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Resident set size of a process in bytes (VmRSS), or undefined once it is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

export function mib(bytes: number): string {
  return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}

export interface SeriesSummary {
  readonly samples: number;
  readonly min: number;
  readonly max: number;
  readonly last: number;
  /** Max over the first and the last third of the samples. */
  readonly firstThirdMax: number;
  readonly lastThirdMax: number;
}

export function summarize(values: readonly number[]): SeriesSummary {
  if (values.length === 0) return { samples: 0, min: 0, max: 0, last: 0, firstThirdMax: 0, lastThirdMax: 0 };
  const third = Math.max(1, Math.floor(values.length / 3));
  return {
    samples: values.length,
    min: Math.min(...values),
    max: Math.max(...values),
    last: values[values.length - 1]!,
    firstThirdMax: Math.max(...values.slice(0, third)),
    lastThirdMax: Math.max(...values.slice(-third)),
  };
}

export function describeSeries(name: string, summary: SeriesSummary): string {
  return (
    `${name}: ${summary.samples} samples, min ${mib(summary.min)}, max ${mib(summary.max)}, last ${mib(summary.last)}, ` +
    `first-third max ${mib(summary.firstThirdMax)}, last-third max ${mib(summary.lastThirdMax)}`
  );
}

/** Reads one numeric field of `INFO memory` (e.g. used_memory). */
export function infoField(info: string, field: string): number {
  const match = new RegExp(`^${field}:(\\d+)`, 'm').exec(info);
  return match === null ? Number.NaN : Number(match[1]);
}

/** A deterministic pseudo-random generator, so a failing run can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

export const JOB_STATES = [
  'completed',
  'failed',
  'active',
  'wait',
  'delayed',
  'prioritized',
  'waiting-children',
] as const;
export type JobCounts = Record<(typeof JOB_STATES)[number], number>;

/** A lane's job counts by state, every state present (0 when empty). */
export async function laneCounts(queue: Queue): Promise<JobCounts> {
  const raw = await queue.getJobCounts(...JOB_STATES);
  const counts = {} as JobCounts;
  for (const state of JOB_STATES) counts[state] = raw[state] ?? 0;
  return counts;
}

const finished = (status: JobStatus): boolean => status.state === 'completed' || status.state === 'failed';

/**
 * Polls until every job is completed or failed; returns their final statuses. A status that
 * first reads as finished is read again, as a guard against torn reads (LanesClient.status()
 * once loaded a job's data before its state, so a job finishing in between read as "failed"
 * with no reason and no attempt).
 */
export async function settle(
  client: LanesClient,
  ids: readonly string[],
  timeoutMs: number,
  what = 'jobs',
): Promise<JobStatus[]> {
  const deadline = Date.now() + timeoutMs;
  const final = new Map<string, JobStatus>();
  for (;;) {
    const open = ids.filter((id) => !final.has(id));
    for (let i = 0; i < open.length; i += 50) {
      const statuses = await Promise.all(open.slice(i, i + 50).map((id) => client.status(id)));
      const done = statuses.filter(finished);
      const again = await Promise.all(done.map((status) => client.status(status.id)));
      for (const status of again) if (finished(status)) final.set(status.id, status);
    }
    if (final.size === ids.length) return ids.map((id) => final.get(id)!);
    if (Date.now() > deadline) {
      const stuck = ids.filter((id) => !final.has(id));
      const states = await Promise.all(
        stuck.slice(0, 5).map(async (id) => `${id}: ${(await client.status(id)).state}`),
      );
      throw new Error(
        `${stuck.length} of ${ids.length} ${what} not finished after ${timeoutMs} ms (${states.join(', ')})`,
      );
    }
    await sleep(250);
  }
}

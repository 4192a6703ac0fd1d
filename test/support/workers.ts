import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { LanesWorker, type LanesWorkerOptions } from '@lanes/worker-core';
import { REDIS_URL, REPO_ROOT, testConfig } from './env.ts';
import { sampleTasks } from './sample-tasks.ts';

export const CLI = join(REPO_ROOT, 'packages', 'cli', 'src', 'main.ts');
export const SAMPLE_TASKS = join(REPO_ROOT, 'test', 'support', 'sample-tasks.ts');

/** An in-process worker running the sample tasks under its own prefix. */
export async function startWorker(
  prefix: string,
  options: Partial<LanesWorkerOptions> = {},
  env: Record<string, string> = {},
): Promise<LanesWorker> {
  const worker = new LanesWorker({ config: testConfig(prefix, env), tasks: sampleTasks, ...options });
  await worker.start();
  return worker;
}

export interface SpawnedWorker {
  readonly process: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** How a test starts the CLI: directly on this Node, or through one of the wrappers users run. */
export type Launcher = (cliArgs: readonly string[]) => { command: string; args: string[] };

export const direct: Launcher = (cliArgs) => ({ command: process.execPath, args: [CLI, ...cliArgs] });

/** A real `lanes worker` process, for signal and crash tests. */
export function spawnWorker(
  prefix: string,
  args: string[] = [],
  env: Record<string, string> = {},
  launcher: Launcher = direct,
): SpawnedWorker {
  const { command, args: argv } = launcher(['worker', '--no-builtins', '--tasks', SAMPLE_TASKS, ...args]);
  const child = spawn(command, argv, {
    cwd: REPO_ROOT,
    env: { ...process.env, REDIS_URL, LANES_PREFIX: prefix, LOG_LEVEL: 'info', LANES_LOCK_DURATION_MS: '3000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { process: child, exited, output: () => output };
}

/** Runs the CLI to completion and returns its exit code and output. */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  launcher: Launcher = direct,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const { command, args: argv } = launcher(args);
    const child = spawn(command, argv, {
      cwd: REPO_ROOT,
      env: { ...process.env, REDIS_URL, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

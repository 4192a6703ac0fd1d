// Child processes for the consumer test: commands run to completion, and long-running ones
// (workers, the registry) started in a process group of their own so stopping them also stops
// what npx or a shell started under them.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { delimiter } from 'node:path';
import type { Readable } from 'node:stream';

type Child = ChildProcessByStdio<null, Readable, Readable>;

/** Groups still running; killed if this process exits first (a failed or interrupted test). */
const liveGroups = new Set<Child>();
process.on('exit', () => {
  for (const child of liveGroups) killGroup(child, 'SIGKILL');
});

function spawnGroup(cmd: string, args: readonly string[], options: RunOptions): Child {
  const child = spawn(cmd, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  liveGroups.add(child);
  child.once('close', () => liveGroups.delete(child));
  return child;
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

/**
 * The environment a user's shell would give: what npm sets for the script it runs (when this
 * suite runs under `npm test`) and Lanes settings of the parent are dropped; npm configuration
 * (npm_config_registry, a cache, a proxy) is kept, as the user's npm would read it.
 */
export function userEnv(pathFirst: readonly string[], extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      !/^(npm_(lifecycle_|package_|command$|execpath$|node_execpath$|config_local_prefix$|config_user_agent$)|LANES_|INIT_CWD$|NODE_OPTIONS$)/i.test(
        key,
      )
    )
      env[key] = value;
  }
  env.PATH = [...pathFirst, process.env.PATH ?? ''].join(delimiter);
  return { ...env, ...extra };
}

/** Runs a command to completion; a command still running after timeoutMs is killed (code null). */
export function run(cmd: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawnGroup(cmd, args, options);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), options.timeoutMs ?? 120_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Like run, but a non-zero exit throws with the command's output. */
export async function mustRun(cmd: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const result = await run(cmd, args, options);
  if (result.code !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} (in ${options.cwd}) exited ${result.code}:\n${result.stderr}${result.stdout}`,
    );
  return result;
}

export interface LongRunning {
  readonly exited: Promise<number | null>;
  output(): string;
  /** SIGTERM to the whole group, SIGKILL after graceMs; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

export function start(cmd: string, args: readonly string[], options: RunOptions): LongRunning {
  const child = spawnGroup(cmd, args, options);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    exited,
    output: () => output,
    async stop(graceMs = 10_000) {
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Signals every process of the group, while any of them still holds the output pipes open. */
function killGroup(child: Child, signal: NodeJS.Signals): void {
  if (child.pid === undefined || !liveGroups.has(child)) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

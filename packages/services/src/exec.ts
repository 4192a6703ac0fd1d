import { spawnSync } from 'node:child_process';
import { accessSync, appendFileSync, constants, mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { ServicesError } from './errors.ts';
import { projectRoot } from './paths.ts';

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string;
  timeoutMs?: number;
}

export interface RunResult {
  /** Exit code; null when the command could not start, timed out or was killed. */
  status: number | null;
  stdout: string;
  stderr: string;
  /** Set when the command could not be started (ENOENT, timeout, ...). */
  spawnError: string | null;
}

/** Runs a command to completion and captures its output. Never throws. */
export function run(cmd: string, args: readonly string[], options: RunOptions = {}): RunResult {
  const result = spawnSync(cmd, args, {
    env: options.env ?? process.env,
    // Commands run as another user (postgres) must not inherit an unreadable working directory.
    cwd: options.cwd ?? '/',
    input: options.input ?? '',
    timeout: options.timeoutMs,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    // sudo may need to ask for a password: let it reach the terminal.
    stdio: [options.input === undefined && cmd === 'sudo' ? 'inherit' : 'pipe', 'pipe', 'pipe'],
  });
  return {
    status: result.status,
    stdout: result.stdout ?? '',
    stderr: result.stderr ?? '',
    spawnError: result.error ? result.error.message : null,
  };
}

export interface CheckedOptions extends RunOptions {
  /** What this step is, for the error line: e.g. "apt-get install redis-server". */
  what: string;
  /** When set, the full output is appended here and the error line points at it. */
  logFile?: string;
}

/** Runs a command and throws a one-line ServicesError naming `what` when it fails. */
export function runChecked(cmd: string, args: readonly string[], options: CheckedOptions): RunResult {
  const result = run(cmd, args, options);
  if (options.logFile) {
    mkdirSync(dirname(options.logFile), { recursive: true });
    appendFileSync(
      options.logFile,
      `\n$ ${[cmd, ...args].join(' ')}\n${result.stdout}${result.stderr}${result.spawnError ? `${result.spawnError}\n` : ''}[exit ${result.status}]\n`,
    );
  }
  if (result.status === 0) return result;
  const why = result.spawnError ?? lastLine(result.stderr) ?? lastLine(result.stdout) ?? `exit code ${result.status}`;
  const where = options.logFile ? ` (full output: ${displayPath(options.logFile)})` : '';
  throw new ServicesError(`${options.what} failed: ${why}${where}`);
}

function lastLine(text: string): string | null {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !/^W: /.test(line));
  return lines.at(-1) ?? null;
}

function displayPath(path: string): string {
  const rel = relative(projectRoot(), path);
  return rel.startsWith('..') ? path : rel;
}

const EXTRA_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of an executable on PATH (plus the sbin folders), or null. */
export function which(cmd: string): string | null {
  if (cmd.includes('/')) return isExecutable(cmd) ? cmd : null;
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_PATH];
  for (const dir of dirs) {
    const candidate = join(dir, cmd);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function currentUser(): string {
  return userInfo().username;
}

export interface Invocation {
  cmd: string;
  args: string[];
}

/**
 * A command that needs root: as is when we are root, through sudo otherwise. `env` entries are
 * passed explicitly because sudo resets the environment.
 */
export function privileged(
  cmd: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Invocation {
  const assignments = Object.entries(env).map(([key, value]) => `${key}=${value}`);
  if (isRoot())
    return assignments.length > 0 ? { cmd: 'env', args: [...assignments, cmd, ...args] } : { cmd, args: [...args] };
  if (!which('sudo')) throw new ServicesError(`${cmd} needs root: run as root or install sudo`);
  return { cmd: 'sudo', args: assignments.length > 0 ? ['env', ...assignments, cmd, ...args] : [cmd, ...args] };
}

/** A command run as another system user (runuser as root, sudo -u otherwise). */
export function asUser(user: string, cmd: string, args: readonly string[]): Invocation {
  if (user === currentUser()) return { cmd, args: [...args] };
  if (isRoot()) {
    const runuser = which('runuser');
    if (runuser) return { cmd: runuser, args: ['-u', user, '--', cmd, ...args] };
    return { cmd: 'su', args: [user, '-s', '/bin/sh', '-c', [cmd, ...args].map(shellQuote).join(' ')] };
  }
  if (!which('sudo')) throw new ServicesError(`running ${cmd} as ${user} needs root or sudo`);
  return { cmd: 'sudo', args: ['-u', user, '--', cmd, ...args] };
}

export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

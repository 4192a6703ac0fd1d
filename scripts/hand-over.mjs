// Shared by the bootstrap and the repo's `lanes` bin shim: both start the real Node process and
// must behave like it, so a supervisor's SIGTERM (systemd, tini, a CI runner) reaches it.
import { spawn } from 'node:child_process';

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs `cmd` with inherited stdio, forwards SIGINT/SIGTERM/SIGHUP to it, and ends this process
 * as the child ended: with its exit code, or by the same signal.
 */
export function handOver(cmd, args, options = {}) {
  const child = spawn(cmd, args, { stdio: 'inherit', ...options });
  const forward = (signal) => child.kill(signal);
  for (const signal of FORWARDED) process.on(signal, forward);
  child.on('error', (error) => {
    process.stderr.write(`[lanes] cannot start ${cmd}: ${error.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    for (const name of FORWARDED) process.off(name, forward);
    if (signal !== null) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}

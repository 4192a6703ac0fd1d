import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { ServicesError } from './errors.ts';
import type { ServicesLog } from './log.ts';
import { servicesDir } from './paths.ts';
import { isProcessAlive } from './probe.ts';

/**
 * Runs `fn` while holding .lanes/services/lock, so that two `up`/`down` runs (a test runner and
 * a bootstrap, say) never install or start the same thing twice. A lock left by a dead process
 * is taken over.
 */
export async function withServicesLock<T>(log: ServicesLog, fn: () => Promise<T>, timeoutMs = 15 * 60_000): Promise<T> {
  const dir = servicesDir();
  try {
    mkdirSync(dir, { recursive: true });
  } catch {
    return fn();
  }
  const path = join(dir, 'lock');
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // A user who cannot write the state folder (status checks by another account) goes unlocked.
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return fn();
      if (code !== 'EEXIST') throw error;
      const holder = readHolder(path);
      if (holder === null || !isProcessAlive(holder)) {
        rmSync(path, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new ServicesError(`another lanes services run (pid ${holder}) still holds ${path}`);
      if (!announced) {
        log.info(`waiting for another lanes services run (pid ${holder})`);
        announced = true;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    return await fn();
  } finally {
    if (readHolder(path) === process.pid) rmSync(path, { force: true });
  }
}

function readHolder(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { PathNotAllowedError } from './errors.ts';

function isInside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function realOrResolved(path: string): string {
  try {
    return realpathSync(resolve(path));
  } catch {
    return resolve(path);
  }
}

/**
 * For paths that arrive through the HTTP API: the file must exist and lie under one of the
 * allowed roots once symlinks are resolved (so `root/link -> /etc/passwd` is refused).
 * Returns the resolved real path. Throws PathNotAllowedError (permanent, field `path`).
 * Synchronous on purpose: two cheap syscalls, usable as a plain guard function.
 */
export function assertAllowedPath(path: string, roots: readonly string[]): string {
  if (path.includes('\0')) throw new PathNotAllowedError(path, 'contains a NUL byte');
  let real: string;
  try {
    real = realpathSync(resolve(path));
  } catch {
    throw new PathNotAllowedError(path, 'does not exist');
  }
  if (!roots.map(realOrResolved).some((root) => isInside(root, real))) {
    throw new PathNotAllowedError(path, `is outside the allowed roots (${roots.join(':')})`);
  }
  const info = statSync(real);
  if (!info.isFile() && !info.isDirectory()) throw new PathNotAllowedError(path, 'is neither a file nor a directory');
  return real;
}

import { constants, realpathSync, statSync } from 'node:fs';
import { open, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { PathNotAllowedError } from '@lanes/contracts';

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

/** One reason for every path outside the roots, so errors never tell whether such a file exists. */
function outside(path: string, roots: readonly string[]): PathNotAllowedError {
  return new PathNotAllowedError(path, `is outside the allowed roots (${roots.join(':')})`);
}

/**
 * "does not exist" only for a path that lies under a root as written; a missing file
 * elsewhere reads as outside, like an existing one.
 */
function missing(path: string, roots: readonly string[], realRoots: readonly string[]): PathNotAllowedError {
  const lexical = resolve(path);
  const under =
    roots.some((root) => isInside(resolve(root), lexical)) || realRoots.some((root) => isInside(root, lexical));
  return under ? new PathNotAllowedError(path, 'does not exist') : outside(path, roots);
}

/**
 * For paths that arrive through the HTTP API: the file must exist and lie under one of the
 * allowed roots once symlinks are resolved (so `root/link -> /etc/passwd` is refused).
 * Returns the resolved real path. Throws PathNotAllowedError (permanent, field `path`).
 * Synchronous on purpose: two cheap syscalls, usable as a plain guard function. The worker
 * checks again where it opens the file (openInsideRoots).
 */
export function assertAllowedPath(path: string, roots: readonly string[]): string {
  if (path.includes('\0')) throw new PathNotAllowedError(path, 'contains a NUL byte');
  const realRoots = roots.map(realOrResolved);
  let real: string;
  try {
    real = realpathSync(resolve(path));
  } catch {
    throw missing(path, roots, realRoots);
  }
  if (!realRoots.some((root) => isInside(root, real))) throw outside(path, roots);
  const info = statSync(real);
  if (!info.isFile() && !info.isDirectory()) throw new PathNotAllowedError(path, 'is neither a file nor a directory');
  return real;
}

/**
 * Opens a file read-only only if it lies under one of `roots` at the moment it is opened:
 * the path is resolved through links, checked, opened without following a final link, and
 * the opened file must be the one that was checked (same device and inode) and, where the
 * kernel names open files (/proc/self/fd), still lie under a root. A folder swapped for a
 * link after the check is caught either way. Throws PathNotAllowedError.
 */
export async function openInsideRoots(path: string, roots: readonly string[]): Promise<FileHandle> {
  if (path.includes('\0')) throw new PathNotAllowedError(path, 'contains a NUL byte');
  const realRoots = await Promise.all(roots.map((root) => realpath(resolve(root)).catch(() => resolve(root))));
  const isAllowed = (candidate: string): boolean => realRoots.some((root) => isInside(root, candidate));
  let real: string;
  let checked: { dev: bigint; ino: bigint };
  try {
    real = await realpath(resolve(path));
    if (!isAllowed(real)) throw outside(path, roots);
    checked = await stat(real, { bigint: true });
  } catch (error) {
    if (error instanceof PathNotAllowedError) throw error;
    throw missing(path, roots, realRoots);
  }
  // O_NONBLOCK: opening a FIFO must not hang the worker (it is refused as not a regular file).
  const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => {
    throw outside(path, roots);
  });
  try {
    const opened = await handle.stat({ bigint: true });
    if (opened.dev !== checked.dev || opened.ino !== checked.ino) throw outside(path, roots);
    const name = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
    if (name !== undefined && !isAllowed(name)) throw outside(path, roots);
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

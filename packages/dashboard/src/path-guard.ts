import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { PathNotAllowedError } from '@lanes/contracts';
import type { PathGuard } from './options.ts';

/** The real location of a path: symlinks resolved when it exists, so a link cannot lead out of a root. */
async function realOrResolved(path: string): Promise<string> {
  const absolute = resolve(path);
  return realpath(absolute).catch(() => absolute);
}

function isInside(child: string, root: string): boolean {
  const rel = relative(root, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * The guard used when the caller injects none: the path, resolved against the working
 * directory with symlinks followed, must lie under one of the roots. Without roots, HTTP
 * clients may not name server paths at all (they can still send `text`).
 */
export const defaultPathGuard: PathGuard = async (path, roots) => {
  if (roots.length === 0)
    throw new PathNotAllowedError(
      path,
      'may not be read: ingesting server paths over HTTP is disabled (no allowed roots are configured)',
    );
  const target = await realOrResolved(path);
  for (const root of roots) {
    if (isInside(target, await realOrResolved(root))) return target;
  }
  throw new PathNotAllowedError(path, `must lie under an allowed root (${roots.join(', ')})`);
};

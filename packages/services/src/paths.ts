import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The project `lanes services` works for: the nearest folder at or above `start` that is a
 * workspace root (a package.json with `workspaces`, or a pnpm-workspace.yaml), else `start`
 * itself. Found from the working directory, not from this file, which may sit in a node_modules.
 */
export function projectRoot(start: string = process.cwd()): string {
  const from = resolve(start);
  for (let dir = from; ; dir = dirname(dir)) {
    if (isWorkspaceRoot(dir)) return dir;
    if (dirname(dir) === dir) return from;
  }
}

function isWorkspaceRoot(dir: string): boolean {
  if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return true;
  try {
    const manifest: unknown = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    return typeof manifest === 'object' && manifest !== null && 'workspaces' in manifest;
  } catch {
    return false;
  }
}

/** Where `lanes services` keeps its state; LANES_SERVICES_DIR overrides (absolute or project-relative). */
export function servicesDir(env: NodeJS.ProcessEnv = process.env): string {
  const root = projectRoot();
  const override = env.LANES_SERVICES_DIR;
  return override ? resolve(root, override) : join(root, '.lanes', 'services');
}

export function redisDir(): string {
  return join(servicesDir(), 'redis');
}

export function postgresDir(): string {
  return join(servicesDir(), 'postgres');
}

/** Full output of apt and build steps, so an error line can point at it. */
export function logsDir(): string {
  return join(servicesDir(), 'logs');
}

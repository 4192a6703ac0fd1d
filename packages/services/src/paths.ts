import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: this file lives in packages/services/src. */
export const repoRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Where `lanes services` keeps its state; LANES_SERVICES_DIR overrides (absolute or repo-relative). */
export function servicesDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env['LANES_SERVICES_DIR'];
  return override ? resolve(repoRoot, override) : join(repoRoot, '.lanes', 'services');
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

import { withServicesLock } from './lock.ts';
import { createLog, type ServicesLog } from './log.ts';
import { ensurePostgres, postgresStatus, stopPostgres } from './postgres.ts';
import { ensureRedis, redisStatus, stopRedis } from './redis.ts';
import type { ServicesStatus } from './types.ts';

export { ensurePackages } from './apt.ts';
export { messageOf, ServicesError } from './errors.ts';
export { createLog, type ServicesLog } from './log.ts';
export type { PostgresStatus, ServiceStatus, ServicesStatus } from './types.ts';

export interface ServicesOptions {
  /** Print nothing when there is nothing to do (actions and warnings still go to stderr). */
  quiet: boolean;
  /** Where progress lines go; stderr by default. */
  log?: ServicesLog;
}

/**
 * Makes Redis and PostgreSQL+pgvector available (installing and starting local ones when needed,
 * reusing running ones, or only checking REDIS_URL / DATABASE_URL) and returns their status.
 * Throws a ServicesError with one line naming what failed.
 */
export async function servicesUp(options: ServicesOptions): Promise<ServicesStatus> {
  const log = options.log ?? createLog({ quiet: options.quiet });
  await withServicesLock(log, async () => {
    await ensureRedis(log);
    await ensurePostgres(log);
  });
  return servicesStatus();
}

/** Stops the servers `servicesUp` started; leaves external ones alone. */
export async function servicesDown(options: ServicesOptions): Promise<ServicesStatus> {
  const log = options.log ?? createLog({ quiet: options.quiet });
  await withServicesLock(log, async () => {
    await stopRedis(log);
    await stopPostgres(log);
  });
  return servicesStatus();
}

export async function servicesStatus(): Promise<ServicesStatus> {
  const [redis, postgres] = await Promise.all([redisStatus(), postgresStatus()]);
  return { redis, postgres };
}

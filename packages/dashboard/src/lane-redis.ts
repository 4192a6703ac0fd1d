import type { Queue } from 'bullmq';
import { LanesError } from '@lanes/contracts';
import type { AnyRedis } from '@lanes/queue';

/** The few plain Redis commands the dashboard issues itself (probes, finished-set counts). */
export interface DashboardRedis {
  ping(): Promise<unknown>;
  zcount(key: string, min: number | string, max: number | string): Promise<number>;
  zcard(key: string): Promise<number>;
  zadd(key: string, score: number, member: string): Promise<unknown>;
  zremrangebyscore(key: string, min: number | string, max: number | string): Promise<unknown>;
  zrangebyscore(key: string, min: number | string, max: number | string): Promise<string[]>;
}

function isDashboardRedis(value: unknown): value is DashboardRedis {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return ['ping', 'zcount', 'zcard', 'zadd', 'zremrangebyscore', 'zrangebyscore'].every(
    (name) => typeof candidate[name] === 'function',
  );
}

/**
 * The connection behind a lane's queue. LanesClient hands BullMQ an ioredis client, and
 * BullMQ's Redis backend exposes it (its documented escape hatch), so the dashboard needs no
 * connection of its own. BullMQ types it narrowly; the guard checks the commands exist.
 */
export async function redisOf(queue: Queue): Promise<DashboardRedis> {
  const client: unknown = await queue.getBackend().connection.client;
  if (!isDashboardRedis(client))
    throw new LanesError('UNSUPPORTED_CLIENT', 'the lane queue is not backed by an ioredis-compatible client');
  return client;
}

/**
 * The same connection as ioredis, for the readers of @lanes/queue that need more commands
 * (the fair-share keys, tenant job counts); checked for those commands like redisOf.
 */
export async function ioredisOf(queue: Queue): Promise<AnyRedis> {
  const client: unknown = await queue.getBackend().connection.client;
  const candidate = client as Record<string, unknown> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    !['lrange', 'llen', 'hgetall', 'pipeline'].every((name) => typeof candidate[name] === 'function')
  ) {
    throw new LanesError('UNSUPPORTED_CLIENT', 'the lane queue is not backed by an ioredis-compatible client');
  }
  return client as AnyRedis;
}

/** A dependency that did not answer in time; the API maps it to 503. */
export class DependencyTimeoutError extends LanesError {
  constructor(what: string, ms: number) {
    super('DEPENDENCY_TIMEOUT', `${what} did not answer within ${ms} ms`, { what, ms });
  }
}

/**
 * Fails after `ms` so a hung dependency cannot hold a probe or a request open. BullMQ waits
 * for a connection that is down instead of failing, so every Redis-bound route goes through this.
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DependencyTimeoutError(what, ms)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

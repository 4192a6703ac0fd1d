import { Redis, type RedisOptions } from 'ioredis';

export const DEFAULT_PREFIX = 'lanes';

/**
 * Wraps the key prefix in a hash tag (`{lanes}`) so every key of every lane hashes to the same
 * Redis Cluster slot, which BullMQ's multi-key Lua scripts require.
 */
export function hashTaggedPrefix(prefix: string): string {
  return /^\{.+\}$/.test(prefix) ? prefix : `{${prefix}}`;
}

/**
 * Producer connections fail fast: an enqueue while Redis is down should surface an error to
 * the caller within seconds instead of queueing commands in memory forever.
 */
export function createProducerConnection(redisUrl: string, overrides: RedisOptions = {}): Redis {
  return new Redis(redisUrl, {
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    connectTimeout: 5000,
    lazyConnect: false,
    ...overrides,
  });
}

/** Worker and event connections block (BZPOPMIN, XREAD) and must retry forever, as BullMQ requires. */
export function createBlockingConnection(redisUrl: string, overrides: RedisOptions = {}): Redis {
  return new Redis(redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: true, ...overrides });
}

import { Redis } from 'ioredis';
import { redisPidFromInfo } from './cpu-watch.ts';

/** The local Redis server's pid (its CPU is part of every measurement, not a disturbance). */
export async function redisPid(redisUrl: string): Promise<number | undefined> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    return redisPidFromInfo(await redis.info('server'));
  } finally {
    redis.disconnect();
  }
}

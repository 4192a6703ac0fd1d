import type { Redis } from 'ioredis';
import { RagRedisAdapter, type RagKeys } from '../redis-keys.ts';

const HOUR_MS = 3_600_000;
/** Members kept per hourly set: the long tail of one-off queries is trimmed. */
const MAX_MEMBERS_PER_HOUR = 5000;

export interface FrequentQuery {
  readonly query: string;
  readonly k: number;
  /** The tenant it was searched for (warmed for that tenant only). */
  readonly tenant: string | undefined;
  readonly count: number;
}

/**
 * Counts searches in hourly sorted sets (expiring after the window), so "most frequent recent
 * queries" is a sliding window over the last N hours: a ZUNION of the hourly sets.
 */
export class QueryStats extends RagRedisAdapter {
  readonly #windowHours: number;

  constructor(redis: Redis, keys: RagKeys, windowHours: number) {
    super(redis, keys);
    this.#windowHours = windowHours;
  }

  /** Members are `k<TAB>query`, or `k<TAB>tenant<TAB>query` for a tenant (normalised queries hold no tab). */
  async record(query: string, k: number, tenant: string | undefined, now = Date.now()): Promise<void> {
    const key = this.keys.queryCounts(Math.floor(now / HOUR_MS));
    const member = tenant === undefined ? `${k}\t${query}` : `${k}\t${tenant}\t${query}`;
    const pipeline = this.redis
      .pipeline()
      .zincrby(key, 1, member)
      .pexpire(key, (this.#windowHours + 1) * HOUR_MS);
    // Trimming costs a little, so only now and then; the set may briefly exceed its cap.
    if (Math.random() < 0.01) pipeline.zremrangebyrank(key, 0, -MAX_MEMBERS_PER_HOUR - 1);
    await pipeline.exec();
  }

  async top(n: number, now = Date.now()): Promise<FrequentQuery[]> {
    const current = Math.floor(now / HOUR_MS);
    const keys = Array.from({ length: this.#windowHours }, (_, i) => this.keys.queryCounts(current - i));
    const flat = (await this.redis.call('ZUNION', String(keys.length), ...keys, 'WITHSCORES')) as string[];
    const entries: FrequentQuery[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const member = flat[i]!;
      const parts = member.split('\t');
      if (parts.length < 2) continue;
      const tenant = parts.length === 3 ? parts[1] : undefined;
      entries.push({ k: Number(parts[0]), tenant, query: parts.at(-1)!, count: Number(flat[i + 1]) });
    }
    return entries.sort((a, b) => b.count - a.count || a.query.localeCompare(b.query)).slice(0, n);
  }
}

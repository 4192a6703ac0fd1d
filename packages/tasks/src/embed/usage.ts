import { RagRedisAdapter } from '../redis-keys.ts';

/** Days of usage kept; the dashboard charts fewer. */
const KEEP_DAYS = 90;
const DAY_MS = 24 * 3600_000;

export interface DailyUsage {
  /** UTC day, `YYYY-MM-DD`. */
  readonly day: string;
  readonly tokens: number;
  readonly costUsd: number;
}

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Embedding tokens and estimated cost per UTC day, in Redis: every worker adds to the same
 * counters, and they outlive restarts (the Prometheus counters are per process and start at 0).
 */
export class EmbeddingUsage extends RagRedisAdapter {
  async record(tokens: number, costUsd: number, now = Date.now()): Promise<void> {
    const key = this.keys.embedUsage(dayOf(now));
    await this.redis
      .multi()
      .hincrby(key, 'tokens', Math.round(tokens))
      .hincrbyfloat(key, 'costUsd', costUsd)
      .expire(key, KEEP_DAYS * 24 * 3600)
      .exec();
  }

  /** The last `days` days, oldest first, days without embedding included as zeros. */
  async daily(days: number, now = Date.now()): Promise<DailyUsage[]> {
    const wanted = Array.from({ length: Math.min(days, KEEP_DAYS) }, (_, i) => dayOf(now - (days - 1 - i) * DAY_MS));
    const pipeline = this.redis.pipeline();
    for (const day of wanted) pipeline.hmget(this.keys.embedUsage(day), 'tokens', 'costUsd');
    const replies = (await pipeline.exec()) ?? [];
    return wanted.map((day, i) => {
      const [error, values] = replies[i] ?? [null, null];
      const [tokens, cost] = error === null && Array.isArray(values) ? (values as Array<string | null>) : [null, null];
      return { day, tokens: Number(tokens ?? 0), costUsd: Number(cost ?? 0) };
    });
  }
}

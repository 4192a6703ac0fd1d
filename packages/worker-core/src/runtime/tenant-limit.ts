import type { Redis } from 'ioredis';

/**
 * At most `max` jobs of one tenant running at once, across every worker on every machine: a
 * sorted set of leases per tenant (job id -> expiry). A lease outlives the longest an attempt
 * can run (its timeout plus the lock duration), so a crashed worker's leases lapse by
 * themselves instead of holding the tenant's slots forever.
 */
const ACQUIRE_SCRIPT = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  -- The set lives as long as its longest lease.
  if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3])) end
  return 1
end
return 0`;

export class TenantLimit {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #max: number;
  readonly #leaseMarginMs: number;

  /** `leaseMarginMs`: added to an attempt's timeout, the time a lost worker keeps its job's lock. */
  constructor(redis: Redis, prefix: string, max: number, leaseMarginMs: number) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#max = max;
    this.#leaseMarginMs = leaseMarginMs;
  }

  #key(tenant: string): string {
    return `${this.#prefix}:tenant-active:${tenant}`;
  }

  /** True when the job may run now (it holds a lease); false when the tenant is at its limit. */
  async acquire(tenant: string, jobId: string, attemptTimeoutMs: number): Promise<boolean> {
    const leaseMs = Math.ceil(attemptTimeoutMs + this.#leaseMarginMs);
    return (
      (await this.#redis.eval(ACQUIRE_SCRIPT, 1, this.#key(tenant), jobId, String(this.#max), String(leaseMs))) === 1
    );
  }

  async release(tenant: string, jobId: string): Promise<void> {
    await this.#redis.zrem(this.#key(tenant), jobId);
  }
}

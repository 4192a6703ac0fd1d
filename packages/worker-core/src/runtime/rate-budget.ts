import type { Redis } from 'ioredis';

/**
 * A token bucket in Redis with up to two dimensions (e.g. requests and tokens per minute),
 * shared by every worker on every machine. One Lua call checks and takes atomically; on refusal
 * it returns how long to wait until the amount would fit.
 */
const TAKE_SCRIPT = `
local key = KEYS[1]
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local wait = 0
local state = redis.call('HMGET', key, 'a1', 'a2', 'ts')
local ts = tonumber(state[3]) or now
local elapsed = math.max(0, now - ts)
local avail = {}
for i = 1, 2 do
  local cap = tonumber(ARGV[(i - 1) * 3 + 1])
  local per = tonumber(ARGV[(i - 1) * 3 + 2])
  local want = tonumber(ARGV[(i - 1) * 3 + 3])
  if cap > 0 then
    local current = tonumber(state[i]) or cap
    current = math.min(cap, current + elapsed * cap / per)
    avail[i] = current
    if want > cap then want = cap end
    if current < want then
      wait = math.max(wait, math.ceil((want - current) * per / cap))
    end
  else
    avail[i] = 0
  end
end
if wait == 0 then
  for i = 1, 2 do
    local cap = tonumber(ARGV[(i - 1) * 3 + 1])
    if cap > 0 then
      local want = math.min(cap, tonumber(ARGV[(i - 1) * 3 + 3]))
      avail[i] = avail[i] - want
    end
  end
end
redis.call('HSET', key, 'a1', tostring(avail[1]), 'a2', tostring(avail[2]), 'ts', tostring(now))
redis.call('PEXPIRE', key, tonumber(ARGV[7]))
return wait
`;

export interface BudgetDimension {
  /** Bucket size: at most this much per `perMs`. */
  readonly capacity: number;
  readonly perMs: number;
}

export interface RateBudgetLimits {
  readonly requests: BudgetDimension;
  readonly tokens?: BudgetDimension;
}

type BudgetRedis = Redis & { lanesTakeBudget(key: string, ...args: string[]): Promise<number> };

export class RateBudget {
  readonly #redis: BudgetRedis;
  readonly #key: string;
  readonly #limits: RateBudgetLimits;

  constructor(redis: Redis, key: string, limits: RateBudgetLimits) {
    if (!('lanesTakeBudget' in redis)) redis.defineCommand('lanesTakeBudget', { numberOfKeys: 1, lua: TAKE_SCRIPT });
    this.#redis = redis as BudgetRedis;
    this.#key = key;
    this.#limits = limits;
  }

  /** Takes the amount if it fits now and returns 0; otherwise takes nothing and returns the ms to wait. */
  async tryTake(amount: { requests?: number; tokens?: number } = {}): Promise<number> {
    const { requests, tokens } = this.#limits;
    const ttl = Math.max(requests.perMs, tokens?.perMs ?? 0) * 2;
    return this.#redis.lanesTakeBudget(
      this.#key,
      String(requests.capacity),
      String(requests.perMs),
      String(amount.requests ?? 1),
      String(tokens?.capacity ?? 0),
      String(tokens?.perMs ?? 1),
      String(amount.tokens ?? 0),
      String(ttl),
    );
  }

  /** Waits until the amount fits, then takes it. */
  async take(amount: { requests?: number; tokens?: number } = {}, signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const waitMs = await this.tryTake(amount);
      if (waitMs <= 0) return;
      await new Promise<void>((resolve) => setTimeout(resolve, Math.min(waitMs, 5000)));
    }
  }
}

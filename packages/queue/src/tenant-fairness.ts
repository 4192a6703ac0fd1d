import type { Redis } from 'ioredis';
import { Job, type Queue } from 'bullmq';
import type { Lane } from '@lanes/contracts';
import type { AnyRedis } from './tenant-stats.ts';

/**
 * Fair sharing between tenants within a lane, on open-source BullMQ.
 *
 * While the lane is uncongested a tenant's job goes straight to the lane's wait list. Once the
 * lane holds a window's worth of ready jobs (or some tenant already has jobs held back), new
 * tenant jobs are added as delayed jobs that never come due on their own ("held"), and their ids
 * queue per tenant; workers admit held jobs round-robin across tenants (BullMQ's own promote)
 * whenever the ready count drops below the window. So a tenant with a backlog of thousands
 * holds another tenant's job back by at most the window plus one turn of the ring. Held jobs
 * are ordinary BullMQ jobs: durable, visible, cancellable, waited on like any other.
 */

/** Held jobs sit in BullMQ's delayed set this far in the future: admission, not time, releases them. */
export const HOLD_DELAY_MS = 365 * 24 * 3600_000;

/** Ready tenant jobs a lane may hold in its wait list before further ones are held back. */
export const DEFAULT_TENANT_WINDOW = 32;

interface FairKeys {
  readonly ring: string;
  readonly heldPrefix: string;
  readonly misses: string;
  readonly admitting: string;
  readonly window: string;
  readonly wait: string;
  readonly prioritized: string;
  readonly jobPrefix: string;
}

/** One window per prefix, shared by its lanes. */
function windowKey(prefix: string): string {
  return `${prefix}:fair:window`;
}

function fairKeys(prefix: string, lane: Lane): FairKeys {
  const base = `${prefix}:fair:${lane}`;
  return {
    ring: `${base}:ring`,
    heldPrefix: `${base}:held:`,
    misses: `${base}:misses`,
    admitting: `${base}:admitting`,
    window: windowKey(prefix),
    // BullMQ's own lists of ready jobs for the lane's queue, read (never written) to size admission.
    wait: `${prefix}:${lane}:wait`,
    prioritized: `${prefix}:${lane}:prioritized`,
    jobPrefix: `${prefix}:${lane}:`,
  };
}

// Invariant of both scripts: a tenant is in the ring exactly while its held list is not empty.
// Ready = BullMQ's wait list and prioritized set, plus jobs admitted by some worker in the last
// few seconds and not promoted yet (so concurrent admitters do not overshoot the window; a
// crashed admitter's reservations age out).
const READY_AND_WINDOW = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now - 5000)
local ready = redis.call('LLEN', KEYS[2]) + redis.call('ZCARD', KEYS[3]) + redis.call('ZCARD', KEYS[5])
local window = tonumber(redis.call('GET', KEYS[4]) or ARGV[1])
`;

/** KEYS ring, wait, prioritized, window, admitting; ARGV default window, held prefix, tenant, ids... -> ids to hold. */
const HOLD_SCRIPT = `${READY_AND_WINDOW}
local direct = 0
if redis.call('LLEN', KEYS[1]) == 0 then
  direct = math.max(0, math.min(#ARGV - 3, window - ready))
end
local held = {}
if direct < #ARGV - 3 then
  local heldKey = ARGV[2] .. ARGV[3]
  if redis.call('LLEN', heldKey) == 0 then redis.call('RPUSH', KEYS[1], ARGV[3]) end
  for i = 4 + direct, #ARGV do
    redis.call('RPUSH', heldKey, ARGV[i])
    held[#held + 1] = ARGV[i]
  end
end
return held`;

/** KEYS ring, wait, prioritized, window, admitting; ARGV default window, held prefix, batch -> id, tenant, ... */
const ADMIT_SCRIPT = `${READY_AND_WINDOW}
local budget = math.min(window - ready, tonumber(ARGV[3]))
local out = {}
while budget > 0 do
  local tenant = redis.call('LMOVE', KEYS[1], KEYS[1], 'LEFT', 'RIGHT')
  if not tenant then break end
  local heldKey = ARGV[2] .. tenant
  local id = redis.call('LPOP', heldKey)
  if redis.call('LLEN', heldKey) == 0 then redis.call('LREM', KEYS[1], 0, tenant) end
  if id then
    redis.call('ZADD', KEYS[5], now, id)
    out[#out + 1] = id
    out[#out + 1] = tenant
    budget = budget - 1
  end
end
return out`;

/** KEYS ring; ARGV held prefix, tenant, id: puts an id back at the end of its tenant's turn. */
const REQUEUE_SCRIPT = `
local heldKey = ARGV[1] .. ARGV[2]
if redis.call('LLEN', heldKey) == 0 then redis.call('RPUSH', KEYS[1], ARGV[2]) end
redis.call('RPUSH', heldKey, ARGV[3])
return 1`;

/** Admission may find an id whose job is not added yet (the client adds right after holding). */
const MAX_MISSES = 50;
const ADMIT_BATCH = 64;

/**
 * Splits a tenant's new ready jobs into those that go to the lane now and those held back;
 * returns the ids to hold. Called by producers just before adding the jobs.
 */
export async function holdTenantJobs(
  redis: Redis,
  prefix: string,
  lane: Lane,
  tenant: string,
  ids: readonly string[],
): Promise<Set<string>> {
  return new Set(await evalWithWindow(redis, HOLD_SCRIPT, fairKeys(prefix, lane), tenant, ...ids));
}

/** Runs HOLD_SCRIPT or ADMIT_SCRIPT: both read the lane's ready count and the window. */
async function evalWithWindow(redis: Redis, script: string, keys: FairKeys, ...args: string[]): Promise<string[]> {
  const reply = await redis.eval(
    script,
    5,
    keys.ring,
    keys.wait,
    keys.prioritized,
    keys.window,
    keys.admitting,
    String(DEFAULT_TENANT_WINDOW),
    keys.heldPrefix,
    ...args,
  );
  return reply as string[];
}

/** KEYS ring; ARGV held prefix, tenant, id: forgets a held id, keeping the ring's invariant. */
const RELEASE_SCRIPT = `
local heldKey = ARGV[1] .. ARGV[2]
redis.call('LREM', heldKey, 0, ARGV[3])
if redis.call('LLEN', heldKey) == 0 then redis.call('LREM', KEYS[1], 0, ARGV[2]) end
return 1`;

/** Forgets a held job (cancelled before admission). */
export async function releaseHeldJob(
  redis: Redis,
  prefix: string,
  lane: Lane,
  tenant: string,
  id: string,
): Promise<void> {
  const keys = fairKeys(prefix, lane);
  await redis.eval(RELEASE_SCRIPT, 1, keys.ring, keys.heldPrefix, tenant, id);
}

/** Most tenants whose held jobs `heldJobsByTenant` reads per lane (the ring's first ones). */
const MAX_TENANTS_READ = 1000;

/** Jobs held back per tenant in one lane (tenants without held jobs are not in the ring). */
export async function heldJobsByTenant(redis: AnyRedis, prefix: string, lane: Lane): Promise<Map<string, number>> {
  const keys = fairKeys(prefix, lane);
  const tenants = await redis.lrange(keys.ring, 0, MAX_TENANTS_READ - 1);
  if (tenants.length === 0) return new Map();
  const pipeline = redis.pipeline();
  for (const tenant of tenants) pipeline.llen(`${keys.heldPrefix}${tenant}`);
  const replies = (await pipeline.exec()) ?? [];
  return new Map(tenants.map((tenant, i) => [tenant, Number(replies[i]?.[1] ?? 0)]));
}

/** The window every producer and worker of this prefix uses; set by workers at start. */
export async function setTenantWindow(redis: Redis, prefix: string, window: number): Promise<void> {
  await redis.set(windowKey(prefix), String(window));
}

/** True for a job that sits in the delayed set only because its tenant's turn has not come. */
export function isHeldJob(job: Job): boolean {
  return job.delay >= HOLD_DELAY_MS;
}

/**
 * A worker's side of one lane: admits held jobs round-robin while the lane has room. Cheap when
 * no tenant has held jobs (a poll every `pollMs`); after a job starts it admits again at once
 * as long as tenants are waiting, so admission keeps pace with the workers.
 */
export class TenantAdmission {
  readonly #redis: Redis;
  readonly #queue: Queue;
  readonly #keys: FairKeys;
  readonly #pollMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #tenantsWaiting = false;
  #onError: (error: unknown) => void;

  constructor(
    redis: Redis,
    queue: Queue,
    prefix: string,
    lane: Lane,
    options: { pollMs?: number; onError: (error: unknown) => void },
  ) {
    this.#redis = redis;
    this.#queue = queue;
    this.#keys = fairKeys(prefix, lane);
    this.#pollMs = options.pollMs ?? 200;
    this.#onError = options.onError;
  }

  start(): void {
    this.#timer = setInterval(() => this.kick(), this.#pollMs);
    this.#timer.unref();
    this.kick();
  }

  /** A job started in this lane: room may have opened. A no-op while no tenant has held jobs. */
  jobStarted(): void {
    if (this.#tenantsWaiting) this.kick();
  }

  kick(): void {
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    this.#running = this.#admitUntilFull()
      .catch((error: unknown) => this.#onError(error))
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.kick();
        }
      });
  }

  async #admitUntilFull(): Promise<void> {
    for (;;) {
      const keys = this.#keys;
      const reply = await evalWithWindow(this.#redis, ADMIT_SCRIPT, keys, String(ADMIT_BATCH));
      this.#tenantsWaiting = reply.length > 0 || (await this.#redis.llen(keys.ring)) > 0;
      if (reply.length === 0) return;
      const admitted: Array<Promise<void>> = [];
      const ids: string[] = [];
      for (let i = 0; i < reply.length; i += 2) {
        ids.push(reply[i]!);
        admitted.push(this.#admit(reply[i]!, reply[i + 1]!));
      }
      await Promise.all(admitted);
      await this.#redis.zrem(keys.admitting, ...ids);
    }
  }

  async #admit(id: string, tenant: string): Promise<void> {
    // BullMQ's promote needs only the id: no need to fetch the job's data.
    const job = new Job(this.#queue, 'held', {}, {}, id);
    try {
      await job.promote();
      return;
    } catch {
      // Not in the delayed set: cancelled or promoted meanwhile (then done), or not added yet.
    }
    if ((await this.#redis.exists(`${this.#keys.jobPrefix}${id}`)) === 1) return;
    // Held by a producer that has not added the job yet (it holds, then adds), or cancelled:
    // put it back for a while, then drop it.
    const misses = await this.#redis.hincrby(this.#keys.misses, id, 1);
    if (misses < MAX_MISSES)
      await this.#redis.eval(REQUEUE_SCRIPT, 1, this.#keys.ring, this.#keys.heldPrefix, tenant, id);
    else await this.#redis.hdel(this.#keys.misses, id);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }
}

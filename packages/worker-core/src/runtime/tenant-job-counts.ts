import type { Redis } from 'ioredis';
import type { Lane } from '@lanes/contracts';
import { addTenantJobCounts, tenantJobField, type TenantOutcome } from '@lanes/queue';

/** How often buffered counts go to Redis: the dashboard's tenant view is this much behind at most. */
const FLUSH_INTERVAL_MS = 1000;

/**
 * Per-tenant attempt counts for the dashboard (what `lanes_tenant_jobs_total` counts, shared by
 * every process through Redis). Counted in memory and added to Redis once a second, so a job
 * pays no round trip for it.
 */
export class TenantJobCounts {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #onError: (error: unknown) => void;
  #pending = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(redis: Redis, prefix: string, onError: (error: unknown) => void) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#onError = onError;
  }

  count(tenant: string, lane: Lane, outcome: TenantOutcome): void {
    const field = tenantJobField(lane, outcome, tenant);
    this.#pending.set(field, (this.#pending.get(field) ?? 0) + 1);
  }

  start(): void {
    this.#timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.#timer.unref();
  }

  /** Sends what is buffered; counts that fail to go are kept for the next flush. */
  async flush(): Promise<void> {
    if (this.#pending.size === 0) return;
    const counts = this.#pending;
    this.#pending = new Map();
    try {
      await addTenantJobCounts(this.#redis, this.#prefix, counts);
    } catch (error) {
      for (const [field, n] of counts) this.#pending.set(field, (this.#pending.get(field) ?? 0) + n);
      this.#onError(error);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}

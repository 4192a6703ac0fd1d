import type { Cluster, Redis } from 'ioredis';
import { LANES, type Lane } from '@lanes/contracts';

/**
 * Per-tenant job counts in Redis, the cross-process counterpart of `lanes_tenant_jobs_total`:
 * workers add to one hash (batched, see TenantJobCounts in worker-core), the dashboard reads it.
 * Counted by tenant name (no `other` bucket: the dashboard's tenant view is where one looks a
 * tenant up), a field per tenant, lane and outcome.
 */

export type TenantOutcome = 'completed' | 'failed';

/** Any ioredis connection, single node or cluster (the keys share the prefix's hash tag). */
export type AnyRedis = Redis | Cluster;

export interface TenantJobTotals {
  readonly completed: number;
  readonly failed: number;
}

function tenantJobsKey(prefix: string): string {
  return `${prefix}:tenant-jobs`;
}

/** A field of the hash; tenant ids hold no space, so the tenant may come last whatever it is. */
export function tenantJobField(lane: Lane, outcome: TenantOutcome, tenant: string): string {
  return `${lane} ${outcome} ${tenant}`;
}

/** Adds counts keyed by tenantJobField, in one round trip. */
export async function addTenantJobCounts(
  redis: AnyRedis,
  prefix: string,
  counts: ReadonlyMap<string, number>,
): Promise<void> {
  if (counts.size === 0) return;
  const key = tenantJobsKey(prefix);
  const pipeline = redis.pipeline();
  for (const [field, n] of counts) pipeline.hincrby(key, field, n);
  await pipeline.exec();
}

/** Completed and failed attempts per tenant, every lane summed. */
export async function readTenantJobCounts(redis: AnyRedis, prefix: string): Promise<Map<string, TenantJobTotals>> {
  const fields = await redis.hgetall(tenantJobsKey(prefix));
  const totals = new Map<string, { completed: number; failed: number }>();
  for (const [field, value] of Object.entries(fields)) {
    const [lane, outcome, tenant] = field.split(' ');
    if (
      tenant === undefined ||
      !(LANES as readonly string[]).includes(lane!) ||
      (outcome !== 'completed' && outcome !== 'failed')
    )
      continue;
    const entry = totals.get(tenant) ?? { completed: 0, failed: 0 };
    entry[outcome] += Number(value);
    totals.set(tenant, entry);
  }
  return totals;
}

import { LANES, type Lane } from '@lanes/contracts';
import { heldJobsByTenant, readTenantJobCounts } from '@lanes/queue';
import type { LanesClient } from '@lanes/client';
import { ioredisOf } from './lane-redis.ts';
import type { TenantCorpusEntry } from './options.ts';

/** One tenant as the dashboard's tenants view and `GET /api/tenants` show it. */
export interface TenantRow {
  /** Null: documents of no tenant (jobs without a tenant are not counted here). */
  readonly tenant: string | null;
  readonly documents: number;
  readonly chunks: number;
  /** Jobs held back for the tenant's turn, per lane (fair share); ready ones are in the lane's own counts. */
  readonly held: Readonly<Record<Lane, number>>;
  /** Attempts finished by workers of every process, all lanes. */
  readonly jobs: { readonly completed: number; readonly failed: number };
}

export interface TenantsView {
  readonly tenants: readonly TenantRow[];
  /** False when this dashboard has no document store (documents and chunks then read 0). */
  readonly corpus: boolean;
}

/** Most rows answered: the busiest tenants (held jobs, then documents, then jobs). */
export const MAX_TENANT_ROWS = 200;

/**
 * Joins what is known per tenant: documents and chunks (PostgreSQL, when a corpus is given),
 * held jobs per lane (the fair-share keys) and finished attempts (the counts workers keep in Redis).
 */
export async function readTenants(
  client: LanesClient,
  corpus: (() => Promise<readonly TenantCorpusEntry[]>) | undefined,
): Promise<TenantsView> {
  const redis = await ioredisOf(client.queues.get('default'));
  const [documents, held, jobs] = await Promise.all([
    corpus?.() ?? Promise.resolve([]),
    Promise.all(LANES.map((lane) => heldJobsByTenant(redis, client.prefix, lane))),
    readTenantJobCounts(redis, client.prefix),
  ]);
  const rows = new Map<
    string | null,
    {
      tenant: string | null;
      documents: number;
      chunks: number;
      held: Record<Lane, number>;
      jobs: { completed: number; failed: number };
    }
  >();
  const row = (tenant: string | null) => {
    let entry = rows.get(tenant);
    if (entry === undefined) {
      entry = {
        tenant,
        documents: 0,
        chunks: 0,
        held: { critical: 0, default: 0, low: 0 },
        jobs: { completed: 0, failed: 0 },
      };
      rows.set(tenant, entry);
    }
    return entry;
  };
  for (const entry of documents) Object.assign(row(entry.tenant), { documents: entry.documents, chunks: entry.chunks });
  for (const [i, lane] of LANES.entries()) for (const [tenant, n] of held[i]!) row(tenant).held[lane] = n;
  for (const [tenant, totals] of jobs) row(tenant).jobs = { ...totals };
  const heldOf = (r: TenantRow): number => r.held.critical + r.held.default + r.held.low;
  const tenants = [...rows.values()]
    .sort(
      (a, b) =>
        heldOf(b) - heldOf(a) ||
        b.documents - a.documents ||
        b.jobs.completed + b.jobs.failed - (a.jobs.completed + a.jobs.failed) ||
        String(a.tenant).localeCompare(String(b.tenant)),
    )
    .slice(0, MAX_TENANT_ROWS);
  return { tenants, corpus: corpus !== undefined };
}

/**
 * The tenant predicate of every read of documents and chunks, declared once (README, "Tenant
 * data"). Documents and chunks of no tenant carry '' (migration 4), which no tenant id can be,
 * so one indexable equality covers both cases: a search for a tenant sees only its rows, a
 * search without one only the rows of no tenant.
 */

/** The stored form of a tenant: '' for none. */
export function storedTenant(tenant: string | undefined): string {
  return tenant ?? '';
}

/** The API form of a stored tenant: null for none. */
export function tenantOfRow(stored: string): string | null {
  return stored === '' ? null : stored;
}

/** `<column> = $n` for the tenant, its value appended to `params` (never interpolated). */
export function tenantCondition(column: string, tenant: string | undefined, params: unknown[]): string {
  params.push(storedTenant(tenant));
  return `${column} = $${params.length}`;
}

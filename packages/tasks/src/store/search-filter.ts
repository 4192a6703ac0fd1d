import type { SearchFilter } from '@lanes/contracts';

/**
 * `AND ...` conditions on the documents row `d` for a search filter, appending their values
 * to `params` (never interpolating them): metadata by JSON containment, source by prefix.
 */
export function filterClause(filter: SearchFilter | undefined, params: unknown[]): string {
  if (filter === undefined) return '';
  const conditions: string[] = [];
  if (filter.metadata !== undefined) {
    params.push(JSON.stringify(filter.metadata));
    conditions.push(`d.metadata @> $${params.length}::jsonb`);
  }
  if (filter.sourcePrefix !== undefined) {
    params.push(filter.sourcePrefix);
    conditions.push(`starts_with(d.source, $${params.length})`);
  }
  return conditions.map((condition) => `AND ${condition}`).join(' ');
}

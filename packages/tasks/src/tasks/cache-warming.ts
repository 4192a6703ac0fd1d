import { cacheWarming } from '@lanes/contracts';
import { implement, type TaskDefinition } from '@lanes/worker-core';
import type { QueryStats } from '../search/query-stats.ts';
import type { SearchService } from '../search/search-service.ts';

export interface CacheWarmingDeps {
  readonly stats: Pick<QueryStats, 'top'>;
  readonly search: Pick<SearchService, 'warm'>;
  /** Queries warmed when the payload does not say (LANES_WARM_TOP). */
  readonly top: number;
}

/**
 * `cache-warming` (low lane): the most frequent queries of the recent window get their query
 * embedding and top-k results cached for the current corpus version, so the next user asking
 * pays neither the embedding call nor the vector search. Already-current entries are only
 * extended.
 */
export function createCacheWarmingTask(deps: CacheWarmingDeps): TaskDefinition<typeof cacheWarming> {
  return implement(cacheWarming, async (payload, ctx) => {
    const top = await deps.stats.top(payload.top ?? deps.top);
    let warmed = 0;
    let alreadyWarm = 0;
    for (const [i, entry] of top.entries()) {
      ctx.signal.throwIfAborted();
      if (await deps.search.warm(entry.query, entry.k, entry.tenant, ctx.signal)) alreadyWarm++;
      else warmed++;
      if (i % 10 === 9) await ctx.progress({ done: i + 1, total: top.length });
    }
    return { warmed, alreadyWarm };
  });
}

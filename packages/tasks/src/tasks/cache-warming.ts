import { cacheWarming } from '@lanes/contracts';
import { implement, type TaskDefinition } from '@lanes/worker-core';
import type { RagServices } from '../services.ts';
import { QueryStats } from '../search/query-stats.ts';

/**
 * `cache-warming` (low lane): the most frequent queries of the recent window get their query
 * embedding and top-k results cached for the current corpus version, so the next user asking
 * pays neither the embedding call nor the vector search. Already-current entries are only
 * extended.
 */
export function createCacheWarmingTask(services: RagServices): TaskDefinition<typeof cacheWarming> {
  const stats = new QueryStats(services.redis, services.keys, services.config.cacheWarming.windowHours);
  return implement(cacheWarming, async (payload, ctx) => {
    const top = await stats.top(payload.top ?? services.config.cacheWarming.top);
    let warmed = 0;
    let alreadyWarm = 0;
    for (const [i, entry] of top.entries()) {
      ctx.signal.throwIfAborted();
      if (await services.search.warm(entry.query, entry.k, entry.tenant, ctx.signal)) alreadyWarm++;
      else warmed++;
      if (i % 10 === 9) await ctx.progress({ done: i + 1, total: top.length });
    }
    return { warmed, alreadyWarm };
  });
}

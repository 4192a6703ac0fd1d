import { search, definedOnly } from '@lanes/contracts';
import { implement, type TaskDefinition } from '@lanes/worker-core';
import type { SearchService } from '../search/search-service.ts';

export interface SearchTaskDeps {
  readonly search: Pick<SearchService, 'search'>;
}

/** `search` (critical lane): the client's way to search without a database driver. */
export function createSearchTask(deps: SearchTaskDeps): TaskDefinition<typeof search> {
  return implement(search, (payload, ctx) =>
    deps.search.search(payload.query, payload.k, {
      signal: ctx.signal,
      mode: payload.mode,
      ...definedOnly({ filter: payload.filter, tenant: payload.tenant }),
    }),
  );
}

import { search } from '@lanes/contracts';
import { implement, type TaskDefinition } from '@lanes/worker-core';
import type { RagServices } from '../services.ts';

/** `search` (critical lane): the client's way to search without a database driver. */
export function createSearchTask(services: RagServices): TaskDefinition<typeof search> {
  return implement(search, (payload, ctx) => services.search.search(payload.query, payload.k, { signal: ctx.signal, mode: payload.mode, ...(payload.filter !== undefined && { filter: payload.filter }), ...(payload.tenant !== undefined && { tenant: payload.tenant }) }));
}

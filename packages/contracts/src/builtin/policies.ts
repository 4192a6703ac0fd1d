import type { Lane } from '../lanes.ts';
import type { RetryPolicy } from '../task-contract.ts';

/** How each built-in task runs, side by side: its home lane, its retries and the time one attempt may take. */
export const BUILTIN_POLICIES = {
  ingest: { lane: 'default', retry: { attempts: 3, backoffMs: 2000 }, timeoutMs: 15 * 60_000 },
  'batch-embed': { lane: 'default', retry: { attempts: 5, backoffMs: 2000 }, timeoutMs: 5 * 60_000 },
  'rebuild-index': { lane: 'low', retry: { attempts: 2, backoffMs: 60_000 }, timeoutMs: 60 * 60_000 },
  'cache-warming': { lane: 'low', retry: { attempts: 2, backoffMs: 30_000 }, timeoutMs: 10 * 60_000 },
  reconcile: { lane: 'low', retry: { attempts: 2, backoffMs: 30_000 }, timeoutMs: 10 * 60_000 },
  search: { lane: 'critical', retry: { attempts: 2, backoffMs: 200 }, timeoutMs: 30_000 },
} as const satisfies Record<string, { lane: Lane; retry: Partial<RetryPolicy>; timeoutMs: number }>;

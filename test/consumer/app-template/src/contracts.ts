// Contracts, shared by the application and its workers.
import { defineContract, z } from '@lanes/contracts';

// As in the README's "Use Lanes in your project".
export const greet = defineContract<{ greeting: string }>()({
  name: 'greet',
  lane: 'default',
  schema: z.object({ name: z.string().min(1), times: z.number().int().positive().default(1) }),
  retry: { attempts: 5, backoffMs: 1000, jitter: 0.5 },
  timeoutMs: 30_000,
});

// The README tour's thumbnail task, as a contract the application enqueues without the runtime.
export interface Thumbnail {
  bytes: number;
  width: number;
}

export const thumbnail = defineContract<Thumbnail>()({
  name: 'thumbnail',
  lane: 'default',
  schema: z.object({ url: z.string().url(), width: z.number().int().max(4096) }),
  retry: { attempts: 5, backoffMs: 1000, jitter: 0.5 },
  timeoutMs: 30_000,
  concurrency: 4,
  rateLimit: { max: 100, perMs: 60_000 },
});

// The README's tour task as a contract: what application code enqueues and what it gets back.
import { defineContract, z } from '@lanes/contracts';

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

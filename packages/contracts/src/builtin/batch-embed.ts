import { z } from 'zod';
import { defineContract } from '../task-contract.ts';

/** Embeds stored chunks of one document and writes their vectors. A child of `ingest`. */
export const batchEmbedPayload = z
  .object({
    documentId: z.string().min(1),
    chunkIds: z.array(z.string().min(1)).min(1).max(2048),
  })
  .strict();

export interface BatchEmbedResult {
  readonly embedded: number;
  readonly cacheHits: number;
  readonly tokens: number;
  readonly model: string;
}

export const batchEmbed = defineContract<BatchEmbedResult>()({
  name: 'batch-embed',
  lane: 'default',
  schema: batchEmbedPayload,
  retry: { attempts: 5, backoffMs: 2000 },
  timeoutMs: 5 * 60_000,
});

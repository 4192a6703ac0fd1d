import { z } from 'zod';
import { defineContract } from '../task-contract.ts';
import { BUILTIN_POLICIES } from './policies.ts';

/** Embeds stored chunks of one document and writes their vectors. A child of `ingest`. */
export const batchEmbedPayload = z
  .object({
    documentId: z.string().min(1),
    chunkIds: z.array(z.string().min(1)).min(1).max(2048),
    /** The document generation these chunks were staged in (returned in the result, for inspection). */
    generation: z.number().int().min(1).optional(),
  })
  .strict();

export interface BatchEmbedResult {
  readonly documentId: string;
  readonly generation: number | null;
  /** Distinct chunk texts given to this job. */
  readonly chunks: number;
  /** Texts whose vectors this job wrote (others were already stored). */
  readonly embedded: number;
  readonly cacheHits: number;
  readonly tokens: number;
  /** The model whose space received the vectors (the fallback model's when it had to step in). */
  readonly model: string;
  /** Texts embedded by the fallback model because the primary was unavailable. */
  readonly fallbackEmbedded: number;
}

export const batchEmbed = defineContract<BatchEmbedResult>()({
  name: 'batch-embed',
  schema: batchEmbedPayload,
  ...BUILTIN_POLICIES['batch-embed'],
});

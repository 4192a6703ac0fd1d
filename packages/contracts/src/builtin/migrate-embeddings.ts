import { z } from 'zod';
import { defineContract } from '../task-contract.ts';
import { BUILTIN_POLICIES } from './policies.ts';

/**
 * Re-embeds every chunk into a new embedding space, builds its index, evaluates both spaces
 * and switches search over when quality holds (`lanes migrate-embeddings`). The migration's
 * state lives in PostgreSQL; the payload only names it.
 */
export const migrateEmbeddingsPayload = z.object({ migrationId: z.number().int().min(1) }).strict();

export interface MigrateEmbeddingsResult {
  readonly migrationId: number;
  /** `switched`: search now reads the new space; `refused`: the eval regressed (nothing switched). */
  readonly state: 'switched' | 'refused';
  /** `provider/model/dimensions` of each space. */
  readonly from: string;
  readonly to: string;
  /** Texts embedded by the batch children, then by the final sweep (ingests that arrived meanwhile). */
  readonly embedded: number;
  readonly swept: number;
  /** Hybrid MRR@10 on the eval file in each space; null without one (--force). */
  readonly fromMrr: number | null;
  readonly toMrr: number | null;
  readonly reason: string | null;
}

export const migrateEmbeddings = defineContract<MigrateEmbeddingsResult>()({
  name: 'migrate-embeddings',
  schema: migrateEmbeddingsPayload,
  ...BUILTIN_POLICIES['migrate-embeddings'],
});

/** One batch of a migration: chunks (one per distinct text) to embed into the target space. */
export const migrateEmbeddingsBatchPayload = z
  .object({
    migrationId: z.number().int().min(1),
    spaceId: z.number().int().min(1),
    chunkIds: z.array(z.string().min(1)).min(1).max(2048),
  })
  .strict();

export interface MigrateEmbeddingsBatchResult {
  readonly spaceId: number;
  readonly chunks: number;
  /** Texts this job embedded (the others already had a vector in the space). */
  readonly embedded: number;
}

export const migrateEmbeddingsBatch = defineContract<MigrateEmbeddingsBatchResult>()({
  name: 'migrate-embeddings-batch',
  schema: migrateEmbeddingsBatchPayload,
  ...BUILTIN_POLICIES['migrate-embeddings-batch'],
});

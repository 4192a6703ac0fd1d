import { z } from 'zod';
import { defineContract } from '../task-contract.ts';
import { BUILTIN_POLICIES } from './policies.ts';

/**
 * HNSW build parameters a job (or LANES_HNSW_M / LANES_HNSW_EF_CONSTRUCTION) may ask for.
 * pgvector accepts m up to 100 and ef_construction up to 1000, but such builds of the live
 * index take hours and gigabytes for no recall worth having; the defaults are 16 and 64.
 */
export const HNSW_BOUNDS = {
  m: { min: 4, max: 64 },
  efConstruction: { min: 16, max: 512 },
} as const;

export const rebuildIndexPayload = z
  .object({
    m: z.number().int().min(HNSW_BOUNDS.m.min).max(HNSW_BOUNDS.m.max).optional(),
    efConstruction: z.number().int().min(HNSW_BOUNDS.efConstruction.min).max(HNSW_BOUNDS.efConstruction.max).optional(),
  })
  .strict()
  .refine(
    (value) => value.m === undefined || value.efConstruction === undefined || value.efConstruction >= 2 * value.m,
    {
      path: ['efConstruction'],
      message: 'must be at least 2 * m (pgvector refuses smaller)',
    },
  );

export interface RebuildIndexResult {
  readonly index: string;
  readonly rows: number;
  readonly durationMs: number;
  /** The index the new one replaced (HNSW or IVFFlat), if any. */
  readonly replaced: string | null;
  /** Every index dropped, across the embedding spaces rebuilt. */
  readonly replacedAll: readonly string[];
  /** True when another rebuild was already running, so this one did nothing. */
  readonly skipped: boolean;
}

export const rebuildIndex = defineContract<RebuildIndexResult>()({
  name: 'rebuild-index',
  schema: rebuildIndexPayload,
  ...BUILTIN_POLICIES['rebuild-index'],
});

import { z } from 'zod';
import { defineContract } from '../task-contract.ts';

export const rebuildIndexPayload = z
  .object({
    m: z.number().int().min(2).max(100).optional(),
    efConstruction: z.number().int().min(4).max(1000).optional(),
  })
  .strict();

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
  lane: 'low',
  schema: rebuildIndexPayload,
  retry: { attempts: 2, backoffMs: 60_000 },
  timeoutMs: 60 * 60_000,
});

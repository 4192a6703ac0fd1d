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
  readonly replaced: string | null;
}

export const rebuildIndex = defineContract<RebuildIndexResult>()({
  name: 'rebuild-index',
  lane: 'low',
  schema: rebuildIndexPayload,
  retry: { attempts: 2, backoffMs: 60_000 },
  timeoutMs: 60 * 60_000,
});

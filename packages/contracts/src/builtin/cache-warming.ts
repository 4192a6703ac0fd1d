import { z } from 'zod';
import { defineContract } from '../task-contract.ts';
import { BUILTIN_POLICIES } from './policies.ts';

export const cacheWarmingPayload = z
  .object({
    /** How many of the most frequent recent queries to keep warm. */
    top: z.number().int().min(1).max(1000).optional(),
  })
  .strict();

export interface CacheWarmingResult {
  readonly warmed: number;
  readonly alreadyWarm: number;
}

export const cacheWarming = defineContract<CacheWarmingResult>()({
  name: 'cache-warming',
  schema: cacheWarmingPayload,
  ...BUILTIN_POLICIES['cache-warming'],
});

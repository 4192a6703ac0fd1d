import { z } from 'zod';
import { defineContract } from '../task-contract.ts';

export const searchPayload = z
  .object({
    query: z.string().trim().min(1, 'must be a non-empty query').max(8000),
    k: z.number().int().min(1).max(100).default(10),
  })
  .strict();

/** One hit of the `search` JSON shape (CONTRACT.md). */
export interface SearchHit {
  readonly documentId: string;
  readonly source: string;
  readonly chunkIndex: number;
  readonly score: number;
  readonly text: string;
}

export interface SearchResponse {
  readonly query: string;
  readonly results: readonly SearchHit[];
}

/** Search as a job, so the light client can search without a database driver. */
export const search = defineContract<SearchResponse>()({
  name: 'search',
  lane: 'critical',
  schema: searchPayload,
  retry: { attempts: 2, backoffMs: 200 },
  timeoutMs: 30_000,
});

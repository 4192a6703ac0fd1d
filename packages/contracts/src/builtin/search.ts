import { z } from 'zod';
import { defineContract } from '../task-contract.ts';
import { BUILTIN_POLICIES } from './policies.ts';
import { tenantId } from '../tenant.ts';

/** `hybrid` fuses the lexical (BM25) and vector rankings; the others use one of them alone. */
export const SEARCH_MODES = ['hybrid', 'vector', 'lexical'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];

export const MAX_SEARCH_K = 100;
/** Long enough for a pasted paragraph; the lexical side uses at most 64 distinct terms of it. */
export const MAX_SEARCH_QUERY_CHARS = 16_000;

export const searchMode = z.enum(SEARCH_MODES, { error: `must be one of ${SEARCH_MODES.join(', ')}` });

/** Restricts a search to documents whose metadata contains `metadata` (jsonb @>) and whose source starts with `sourcePrefix`. */
export const searchFilter = z
  .object({
    metadata: z.record(z.string(), z.json()).optional(),
    sourcePrefix: z.string().min(1).max(4096).optional(),
  })
  .strict();
export type SearchFilter = z.infer<typeof searchFilter>;

export const searchPayload = z
  .object({
    query: z.string().trim().min(1, 'must be a non-empty query').max(MAX_SEARCH_QUERY_CHARS),
    k: z.number().int().min(1).max(MAX_SEARCH_K).default(10),
    mode: searchMode.default('hybrid'),
    filter: searchFilter.optional(),
    /** Only this tenant's documents; without it, only documents of no tenant. */
    tenant: tenantId.optional(),
  })
  .strict();

/** The parts of a hit's ranking: cosine similarity in the vector list, BM25 in the lexical list. */
export interface SearchScores {
  readonly vector?: number;
  readonly lexical?: number;
}

/** One hit of the `search` JSON shape (CONTRACT.md). */
export interface SearchHit {
  readonly documentId: string;
  readonly source: string;
  readonly chunkIndex: number;
  /** For `hybrid` the fused reciprocal-rank score; otherwise the one list's score. */
  readonly score: number;
  /** 1-based first page of the chunk for paged documents (PDF), else null. */
  readonly page: number | null;
  /** The title of the chunk's section (its last markdown heading) where the document has one, else null. */
  readonly heading: string | null;
  readonly scores: SearchScores;
  readonly text: string;
}

export interface SearchResponse {
  readonly query: string;
  readonly results: readonly SearchHit[];
}

/** Search as a job, so the light client can search without a database driver. */
export const search = defineContract<SearchResponse>()({
  name: 'search',
  schema: searchPayload,
  ...BUILTIN_POLICIES.search,
});

/** A validated search request, as the CLI, the dashboard and the `search` task pass it on. */
export type SearchRequest = z.output<typeof searchPayload>;

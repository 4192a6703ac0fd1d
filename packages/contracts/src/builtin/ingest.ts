import { z } from 'zod';
import { defineContract } from '../task-contract.ts';
import { BUILTIN_POLICIES } from './policies.ts';
import { tenantId } from '../tenant.ts';

export const DOCUMENT_KINDS = ['pdf', 'txt', 'md'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

/** The files `ingest` reads, by extension (lower case): what the CLI walks for and the worker accepts. */
export const DOCUMENT_EXTENSIONS: Readonly<Record<string, DocumentKind>> = {
  '.pdf': 'pdf',
  '.txt': 'txt',
  '.text': 'txt',
  '.md': 'md',
  '.markdown': 'md',
};

const metadata = z.record(z.string(), z.unknown()).optional();

/** `{ path }` or `{ text, source }`, each with optional metadata and tenant (CONTRACT.md). */
export const ingestPayload = z
  .object({
    path: z.string().min(1, 'must be a non-empty file path').optional(),
    text: z.string().min(1, 'must be non-empty text').optional(),
    source: z.string().min(1, 'must name the document').optional(),
    metadata,
    /**
     * The tenant the document belongs to; without it, the tenant the job was enqueued for
     * (options.tenant), else none. Given both, they must agree.
     */
    tenant: tenantId.optional(),
    /**
     * The worker opens `path` only under its own LANES_ALLOWED_ROOTS, checked when it opens the
     * file. The HTTP API always sets it; trusted callers (the CLI, the client) may.
     */
    confined: z.boolean().optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.path === undefined && value.text === undefined) {
      ctx.addIssue({ code: 'custom', path: ['path'], message: 'either "path" or "text" is required' });
    }
    if (value.path !== undefined && value.text !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['text'], message: 'give either "path" or "text", not both' });
    }
    if (value.text !== undefined && value.source === undefined) {
      ctx.addIssue({ code: 'custom', path: ['source'], message: 'is required with "text"' });
    }
  });

export interface IngestResult {
  readonly documentId: string;
  readonly source: string;
  readonly pages: number;
  readonly chunks: number;
  /** Chunks whose vectors had to be computed (new or changed text). */
  readonly embedded: number;
  /** Chunks kept as they were because their text did not change. */
  readonly unchanged: number;
  /** Stale chunks deleted because the document no longer contains them. */
  readonly removed: number;
}

export const ingest = defineContract<IngestResult>()({
  name: 'ingest',
  schema: ingestPayload,
  ...BUILTIN_POLICIES.ingest,
});

import type { JobStatus } from '@lanes/contracts';

/** A job's progress as a person reads it: how far along (0..1, when known) and in words. */
export interface ProgressSummary {
  readonly fraction: number | null;
  readonly text: string;
}

interface IngestProgress {
  readonly stage?: unknown;
  readonly pagesParsed?: unknown;
  readonly pagesTotal?: unknown;
  readonly chunksTotal?: unknown;
  readonly chunksEmbedded?: unknown;
  readonly unchanged?: unknown;
}

const count = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;

/** Parsing pages is the quick part of an ingest; embedding chunks the slow one. */
const PARSE_SHARE = 0.3;

/**
 * Reads the ingest task's progress (`stage`, pages parsed of total, chunks embedded of total),
 * a plain percentage (what other tasks report with a number), or nothing but the state.
 */
export function summariseProgress(status: JobStatus): ProgressSummary {
  if (status.state === 'failed') return { fraction: null, text: `failed: ${status.failedReason ?? 'no reason given'}` };
  const progress = status.progress;
  const completed = status.state === 'completed';
  if (typeof progress !== 'object' || progress === null) {
    if (completed) return { fraction: 1, text: 'done' };
    if (status.state === 'active' && typeof progress === 'number' && Number.isFinite(progress))
      return { fraction: Math.min(1, Math.max(0, progress / 100)), text: `active ${Math.round(progress)}%` };
    return { fraction: status.state === 'active' ? 0 : null, text: status.state };
  }
  const p = progress as IngestProgress;
  const stage = completed ? 'done' : typeof p.stage === 'string' ? p.stage : status.state;
  const pages = count(p.pagesParsed);
  const pagesTotal = count(p.pagesTotal);
  const chunks = count(p.chunksEmbedded);
  const chunksTotal = count(p.chunksTotal);
  const parts: string[] = [];
  if (pages !== null) parts.push(`pages ${pages}/${pagesTotal ?? '?'}`);
  if (chunksTotal !== null) parts.push(`chunks ${chunks ?? 0}/${chunksTotal}`);
  let fraction: number | null = null;
  if (stage === 'done') fraction = 1;
  else if (chunksTotal !== null && chunksTotal > 0)
    fraction = PARSE_SHARE + (1 - PARSE_SHARE) * Math.min(1, (chunks ?? 0) / chunksTotal);
  else if (pages !== null && pagesTotal !== null && pagesTotal > 0)
    fraction = PARSE_SHARE * Math.min(1, pages / pagesTotal);
  else if (status.state === 'active') fraction = 0;
  return { fraction, text: [stage, ...parts].join(' ') };
}

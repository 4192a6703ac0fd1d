import type { SuiteName } from '../lib/args.ts';
import type { SuiteRunner } from '../lib/types.ts';

/**
 * Suites load lazily: one whose dependencies are missing fails alone, in the report, instead of
 * stopping the others.
 */
export const SUITES: Readonly<Record<SuiteName, () => Promise<{ run: SuiteRunner }>>> = {
  overhead: () => import('./overhead.ts'),
  'lane-priority': () => import('./lane-priority.ts'),
  embedding: () => import('./embedding.ts'),
  search: () => import('./search.ts'),
  ingest: () => import('./ingest.ts'),
};

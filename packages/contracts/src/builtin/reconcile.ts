import { z } from 'zod';
import { defineContract } from '../task-contract.ts';
import { BUILTIN_POLICIES } from './policies.ts';

export const reconcilePayload = z.object({}).strict();

export interface ReconcileResult {
  /** Pending generations looked at. */
  readonly examined: number;
  /** Made live: their job is gone and every chunk had its vector. */
  readonly finished: number;
  /** Removed: their job failed or is gone unfinished; the document is back to its live state (or gone, if it never was live). */
  readonly rolledBack: number;
  /** Another reconciler held the lock: this run did nothing. */
  readonly skipped: boolean;
}

/**
 * `reconcile` (low lane, scheduled): no document stays half-written. A pending generation whose
 * ingest job failed or is gone is finished or rolled back; one whose job still runs is left alone.
 */
export const reconcile = defineContract<ReconcileResult>()({
  name: 'reconcile',
  schema: reconcilePayload,
  ...BUILTIN_POLICIES.reconcile,
});

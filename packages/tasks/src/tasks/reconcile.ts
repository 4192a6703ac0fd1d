import { reconcile } from '@lanes/contracts';
import { implement, type TaskDefinition } from '@lanes/worker-core';
import { reconcilePending, type ReconcileDeps } from '../store/reconciler.ts';

/** `reconcile` (low lane, scheduled): finishes or rolls back stagings their ingest job left behind. */
export function createReconcileTask(deps: ReconcileDeps): TaskDefinition<typeof reconcile> {
  return implement(reconcile, async (_payload, ctx) => {
    const result = await reconcilePending(deps);
    if (result.finished + result.rolledBack > 0) ctx.logger.info(result, 'half-written documents reconciled');
    return result;
  });
}

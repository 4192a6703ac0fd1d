import { reconcile } from '@lanes/contracts';
import { implement, type TaskDefinition } from '@lanes/worker-core';
import type { RagServices } from '../services.ts';
import { reconcilePending } from '../store/reconciler.ts';

/** `reconcile` (low lane, scheduled): finishes or rolls back stagings their ingest job left behind. */
export function createReconcileTask(services: RagServices): TaskDefinition<typeof reconcile> {
  return implement(reconcile, async (_payload, ctx) => {
    const result = await reconcilePending({
      db: services.db,
      documents: services.documents,
      primary: (await services.spaces.current()).live.space,
      spaces: () => services.allSpaces(),
      jobState: async (jobId) => (await services.client.status(jobId)).state,
      onPromoted: async () => {
        await services.corpus.bump();
      },
    });
    if (result.finished + result.rolledBack > 0) ctx.logger.info(result, 'half-written documents reconciled');
    return result;
  });
}

import { cacheWarming, rebuildIndex, reconcile, type AnyTaskContract } from '@lanes/contracts';
import { DEFAULT_REMOVE_ON_COMPLETE, DEFAULT_REMOVE_ON_FAIL } from '@lanes/queue';
import type { LanesClient } from '@lanes/client';

export interface ScheduleOptions {
  /** Cron pattern; undefined removes the schedule. */
  readonly rebuildIndexCron: string | undefined;
  readonly cacheWarmingCron: string | undefined;
  readonly reconcileCron: string | undefined;
}

export const SCHEDULER_IDS = {
  rebuildIndex: 'lanes:rebuild-index',
  cacheWarming: 'lanes:cache-warming',
  reconcile: 'lanes:reconcile',
} as const;

async function upsert(
  client: LanesClient,
  id: string,
  contract: AnyTaskContract,
  cron: string | undefined,
): Promise<void> {
  const queue = client.queues.get(contract.lane);
  if (cron === undefined) {
    await queue.removeJobScheduler(id);
    return;
  }
  await queue.upsertJobScheduler(
    id,
    { pattern: cron },
    {
      name: contract.name,
      data: {},
      opts: {
        attempts: contract.retry.attempts,
        backoff: { type: 'exponential', delay: contract.retry.backoffMs, jitter: contract.retry.jitter },
        removeOnComplete: DEFAULT_REMOVE_ON_COMPLETE,
        removeOnFail: DEFAULT_REMOVE_ON_FAIL,
      },
    },
  );
}

/**
 * Registers the nightly index rebuild, the periodic cache warming and the reconciler of
 * half-written documents as BullMQ job schedulers.
 * Upserts by fixed ids, so any number of workers calling this at start-up leaves exactly one
 * schedule each (and a changed pattern replaces the old one).
 */
export async function registerSchedules(client: LanesClient, options: ScheduleOptions): Promise<void> {
  await upsert(client, SCHEDULER_IDS.rebuildIndex, rebuildIndex, options.rebuildIndexCron);
  await upsert(client, SCHEDULER_IDS.cacheWarming, cacheWarming, options.cacheWarmingCron);
  await upsert(client, SCHEDULER_IDS.reconcile, reconcile, options.reconcileCron);
}

import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { LanesClient } from '@lanes/client';
import { LanesMetrics, LanesWorker, loadRuntimeConfig } from '@lanes/worker-core';
import { bullPrefix } from '../../lib/ids.ts';
import { deleteKeysByPrefix } from '../../lib/redis-keys.ts';
import { withDeadline } from '../../lib/time.ts';
import { chunks } from '../overhead/side.ts';
import { benchCritical, benchLow, observeStarts } from './bench-tasks.ts';
import { PriorityRecorder } from './recorder.ts';
import { lowDurations, type PrioritySide, type PrioritySizes } from './side.ts';

const metrics = new LanesMetrics();

export interface LanesLayout {
  /** Low jobs belong to this many tenants in turn (fair share in the low lane); 0: no tenants. */
  readonly tenants?: number;
  /** The critical lane in a process of its own (`lanes worker --queues critical`), the low lane here. */
  readonly split?: boolean;
}

/** The critical lane served by a child process; resolves once its worker is ready. */
async function startCriticalProcess(
  redisUrl: string,
  prefix: string,
  slots: number,
  recorder: () => PriorityRecorder,
): Promise<ChildProcess> {
  const child = fork(join(import.meta.dirname, 'critical-process.ts'), {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (message: { ready?: true; index?: number; waitMs?: number }) => {
      if (message.ready === true) resolve();
      else if (message.index !== undefined && message.waitMs !== undefined)
        recorder().criticalWaited(message.index, message.waitMs);
    });
    child.once('exit', (code) =>
      reject(new Error(`the critical worker process exited with ${code} before it was ready`)),
    );
  });
  child.send({ redisUrl, prefix, slots });
  await withDeadline(ready, 30_000, 'critical worker process start-up');
  return child;
}

async function stopCriticalProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.send('stop');
  await withDeadline(exited, 10_000, 'critical worker process stop').catch(() => child.kill('SIGKILL'));
}

/**
 * Lanes: low work in the `low` lane, critical work in the `critical` lane, with the same total
 * concurrency as the baseline and a few slots kept for critical. By default one worker process
 * serves both lanes; `split` serves the critical lane from a second process.
 */
export function lanesSide(redisUrl: string, prefix: string, layout: LanesLayout = {}): PrioritySide {
  const { tenants = 0, split = false } = layout;
  const client = new LanesClient({ redisUrl, prefix });
  const name = split
    ? 'Lanes, critical lane in its own process'
    : tenants > 0
      ? `Lanes, low jobs of ${tenants} tenants`
      : 'Lanes';
  return {
    name,
    async fill(sizes) {
      const items = lowDurations(sizes).map((ms, i) => ({
        payload: { ms },
        ...(tenants > 0 && { options: { tenant: `tenant-${i % tenants}` } }),
      }));
      for (const batch of chunks(items, sizes.chunk)) await client.enqueueBulk(benchLow, batch);
    },
    async measure(sizes: PrioritySizes) {
      const recorder = new PriorityRecorder(sizes.criticals);
      observeStarts(
        (index, sentAt) => recorder.criticalStart(index, sentAt),
        () => recorder.lowStart(),
      );
      const lowSlots = sizes.concurrency - sizes.criticalSlots;
      const critical = split
        ? await startCriticalProcess(redisUrl, prefix, sizes.criticalSlots, () => recorder)
        : undefined;
      const config = loadRuntimeConfig({ REDIS_URL: redisUrl, LANES_PREFIX: prefix, LOG_LEVEL: 'warn' });
      const worker = new LanesWorker({
        config,
        tasks: [benchLow, benchCritical],
        lanes: split ? ['low'] : ['critical', 'low'],
        concurrency: { critical: sizes.criticalSlots, low: lowSlots },
        metrics,
      });
      try {
        await worker.start();
        return await recorder.drive(sizes, (index, sentAt) => client.enqueue(benchCritical, { index, sentAt }));
      } finally {
        await worker.close(5000);
        if (critical !== undefined) await stopCriticalProcess(critical);
      }
    },
    async dispose() {
      await client.close();
      await deleteKeysByPrefix(redisUrl, bullPrefix(prefix));
    },
  };
}

import type { JobRef } from '@lanes/contracts';
import type { LanesClient } from '@lanes/client';
import { EXIT_FAILED, EXIT_OK } from '../command.ts';
import { printJson, printLine } from './output.ts';

export interface ReportOptions {
  readonly wait: boolean;
  readonly json: boolean;
  readonly timeoutMs?: number;
}

interface WaitedJob extends JobRef {
  state: string;
  result: unknown;
  failedReason: string | null;
}

/**
 * Prints enqueued jobs in the CONTRACT.md shape; with `wait`, waits for each and adds state,
 * result and failedReason. Exit 1 when any waited job failed.
 */
export async function reportJobs(client: LanesClient, handles: readonly JobRef[], options: ReportOptions): Promise<number> {
  const refs: JobRef[] = handles.map(({ id, task, queue }) => ({ id, task, queue }));
  if (!options.wait) {
    if (options.json) printJson({ jobs: refs });
    else for (const ref of refs) printLine(ref.id);
    return EXIT_OK;
  }
  const waited: WaitedJob[] = await Promise.all(
    refs.map(async (ref) => {
      try {
        await client.wait(ref.id, options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {});
      } catch {
        // The status read below carries the failure reason.
      }
      const status = await client.status(ref.id);
      return { ...ref, state: status.state, result: status.result, failedReason: status.failedReason };
    }),
  );
  if (options.json) printJson({ jobs: waited });
  else {
    for (const job of waited) {
      printLine(`${job.id} ${job.task} ${job.state}${job.failedReason ? `: ${job.failedReason}` : ''}`);
      if (job.state === 'completed' && job.result !== null) printLine(JSON.stringify(job.result));
    }
  }
  return waited.every((job) => job.state === 'completed') ? EXIT_OK : EXIT_FAILED;
}

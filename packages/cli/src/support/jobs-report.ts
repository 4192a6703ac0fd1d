import type { JobRef, JobStatus } from '@lanes/contracts';
import { WaitTimeoutError, type LanesClient } from '@lanes/client';
import { EXIT_FAILED, EXIT_OK } from '../command.ts';
import { printJson, printLine, printNote } from './output.ts';
import { createProgressView, progressMode, type ProgressView } from './progress-view.ts';

export interface ReportOptions {
  readonly wait: boolean;
  readonly json: boolean;
  readonly timeoutMs?: number;
  /** What a person calls each job (the document's path for ingest); default `task id`. */
  readonly labels?: readonly string[];
}

interface WaitedJob extends JobRef {
  state: string;
  result: unknown;
  failedReason: string | null;
}

/** Fast enough to look alive; slower with many jobs, since each poll reads every job's status. */
function pollInterval(jobs: number): number {
  return Math.max(250, jobs * 10);
}

/** Shows each job's progress until `finished` settles; then once more, with the final states. */
async function showProgress(
  client: LanesClient,
  refs: readonly JobRef[],
  labels: readonly string[],
  view: ProgressView,
  finished: Promise<unknown>,
): Promise<JobStatus[]> {
  let done = false;
  void finished.finally(() => (done = true));
  const poll = async (): Promise<JobStatus[]> => {
    const statuses = await Promise.all(refs.map((ref) => client.status(ref.id)));
    statuses.forEach((status, i) => {
      view.update(refs[i]!.id, labels[i]!, status);
    });
    return statuses;
  };
  while (!done) {
    await poll();
    await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, pollInterval(refs.length)))]);
  }
  try {
    return await poll();
  } finally {
    view.stop();
  }
}

/**
 * Prints enqueued jobs in the CONTRACT.md shape; with `wait`, waits for each and adds state,
 * result and failedReason, showing progress on stderr meanwhile (bars on a terminal, stage
 * changes as lines on a pipe, nothing with --json). A wait that times out says so on stderr.
 * Exit 1 when any waited job failed or did not finish in time.
 */
export async function reportJobs(
  client: LanesClient,
  handles: readonly JobRef[],
  options: ReportOptions,
): Promise<number> {
  const refs: JobRef[] = handles.map(({ id, task, queue }) => ({ id, task, queue }));
  if (!options.wait) {
    if (options.json) printJson({ jobs: refs });
    else for (const ref of refs) printLine(ref.id);
    return EXIT_OK;
  }
  const labels = refs.map((ref, i) => options.labels?.[i] ?? `${ref.task} ${ref.id}`);
  const timedOut = new Set<string>();
  const finished = Promise.all(
    refs.map(async (ref) => {
      try {
        await client.wait(ref.id, options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {});
      } catch (error) {
        // A failed job is reported from its status below; only a timeout needs remembering.
        if (error instanceof WaitTimeoutError) timedOut.add(ref.id);
      }
    }),
  );
  const mode = progressMode(options.json);
  let statuses: JobStatus[];
  if (mode === 'none') {
    await finished;
    statuses = await Promise.all(refs.map((ref) => client.status(ref.id)));
  } else statuses = await showProgress(client, refs, labels, createProgressView(mode), finished);
  const waited: WaitedJob[] = refs.map((ref, i) => ({
    ...ref,
    state: statuses[i]!.state,
    result: statuses[i]!.result,
    failedReason: statuses[i]!.failedReason,
  }));
  waited.forEach((job, i) => {
    if (timedOut.has(job.id))
      printNote(
        `timed out after ${options.timeoutMs} ms waiting for job ${job.id} (${labels[i]}), which is still ${job.state}`,
      );
  });
  if (options.json) printJson({ jobs: waited });
  else {
    for (const job of waited) {
      printLine(`${job.id} ${job.task} ${job.state}${job.failedReason ? `: ${job.failedReason}` : ''}`);
      if (job.state === 'completed' && job.result !== null) printLine(JSON.stringify(job.result));
    }
  }
  return waited.every((job) => job.state === 'completed') ? EXIT_OK : EXIT_FAILED;
}

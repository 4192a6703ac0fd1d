import { readFile } from 'node:fs/promises';
import { loadRuntimeConfig } from '@lanes/worker-core';
import type { LanesClient } from '@lanes/client';
import type { EvalCase, MigrationStatus } from '@lanes/tasks/runtime';
import { EXIT_FAILED, EXIT_OK, type CliCommand } from '../command.ts';
import { parseCommandArgs, positiveInt, UsageError } from '../support/args.ts';
import { openBuiltinReader, type BuiltinReader } from '../support/builtins.ts';
import { withContext } from '../support/context.ts';
import { printJson, printLine, printNote } from '../support/output.ts';

const usage = `Usage: lanes migrate-embeddings --to PROVIDER/MODEL[/DIMS] (--eval FILE | --force) [--wait] [--json]
       lanes migrate-embeddings --status | --rollback | --drop-old [--json]

Moves the corpus to another embedding model without stopping search. A background job on
the low lane (workers must run) re-embeds every chunk into the new space in batches, under
the shared rate budget, resumable after any crash; ingests arriving meanwhile are embedded
into both spaces. Then it builds the new space's HNSW index, runs the eval FILE (as
\`lanes eval\`) in both spaces, and switches search to the new space only if hybrid MRR@10
does not drop. Search answers from the old space until then. The old space stays, kept in
step with new ingests, until --drop-old; --rollback switches back to it.

  --to SPACE     e.g. local/use-lite, local/hashing/384, openai/text-embedding-3-small/512
                 (dimensions default to the model's; at most 4000, indexed as halfvec above 2000)
  --eval FILE    JSONL eval cases, as for \`lanes eval\`: the quality gate
  --force        switch even if the eval regresses (or without --eval)
  --wait         wait for the migration and show its progress; exit 1 unless it switched
  --timeout MS   with --wait, give up after MS milliseconds
  --status       the live space, the kept space, and the latest migration's progress
  --rollback     search the previous space again (after a switch, before --drop-old)
  --drop-old     drop the kept space's vectors (the previous space, or a refused target)
  --json         print one JSON document

Exit codes: 0 done (with --wait: switched), 1 refused or failed, 2 invalid input (an unknown
provider or model, too many dimensions, the space already live, a migration running).
`;

/** `PROVIDER/MODEL[/DIMS]`: the last part is the dimensions when it is a number; model names may contain '/'. */
async function parseTarget(raw: string): Promise<{ provider: string; model: string; dimensions: number }> {
  const parts = raw.split('/');
  const dims = parts.length > 2 && /^\d+$/.test(parts.at(-1)!) ? Number(parts.pop()) : undefined;
  const [provider, ...model] = parts;
  if (provider === undefined || provider === '' || model.length === 0 || model.join('/') === '')
    throw new UsageError(`--to must be PROVIDER/MODEL[/DIMS], got "${raw}"`);
  const { resolveEmbeddingSpace } = await import('@lanes/tasks/runtime');
  const resolved = resolveEmbeddingSpace(provider, model.join('/'), dims);
  if ('problem' in resolved) throw new UsageError(`--to: ${resolved.problem.part} ${resolved.problem.message}`);
  return resolved.identity;
}

async function readEvalCases(path: string): Promise<EvalCase[]> {
  const text = await readFile(path, 'utf8').catch(() => {
    throw new UsageError(`--eval: cannot read ${path}`);
  });
  const { parseEvalFile } = await import('@lanes/tasks/runtime');
  const { cases, errors } = parseEvalFile(text);
  if (errors.length > 0) throw new UsageError(`--eval: ${errors.slice(0, 5).join('; ')}`);
  if (cases.length === 0) throw new UsageError('--eval: no cases');
  return cases;
}

function printStatus(status: MigrationStatus): void {
  printLine(`live:   ${status.live.name}`);
  printLine(`kept:   ${status.shadow?.name ?? '(none)'}`);
  const m = status.migration;
  if (m === null) return;
  const progress = m.progress === null ? '' : `, ${m.progress.embedded}/${m.progress.texts} texts embedded`;
  printLine(`migration #${m.id}: ${m.from} -> ${m.to}: ${m.state}${progress}`);
  if (m.eval !== null)
    printLine(`  hybrid MRR@10 on ${m.eval.queries} queries: ${m.eval.fromMrr} (old) vs ${m.eval.toMrr} (new)`);
  if (m.reason !== null) printLine(`  ${m.reason}`);
}

/** Polls until the migration settles (or its job fails for good); progress on a terminal's stderr. */
async function waitForMigration(
  builtins: BuiltinReader,
  client: LanesClient,
  jobId: string,
  timeoutMs: number | undefined,
): Promise<MigrationStatus> {
  const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutMs;
  const tty = process.stderr.isTTY === true;
  for (;;) {
    const status = await builtins.migrations.status();
    const m = status.migration;
    if (m === null || !m.running) return status;
    const job = await client.status(jobId);
    if (job.state === 'failed')
      throw new Error(`the migration job ${jobId} failed: ${job.failedReason ?? 'no reason recorded'}`);
    if (tty && m.progress !== null)
      process.stderr.write(`\r${m.state}: ${m.progress.embedded}/${m.progress.texts} texts   `);
    if (Date.now() > deadline)
      throw new Error(`--timeout: the migration is still ${m.state} (it continues; see --status)`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

export const migrateEmbeddingsCommand: CliCommand = {
  name: 'migrate-embeddings',
  summary: 'move the corpus to another embedding model (background re-embed, eval-gated switch)',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(
      argv,
      {
        to: { type: 'string' },
        eval: { type: 'string' },
        force: { type: 'boolean' },
        wait: { type: 'boolean' },
        timeout: { type: 'string' },
        status: { type: 'boolean' },
        rollback: { type: 'boolean' },
        'drop-old': { type: 'boolean' },
      },
      false,
    );
    const actions = [
      values.to !== undefined,
      values.status === true,
      values.rollback === true,
      values['drop-old'] === true,
    ].filter(Boolean).length;
    if (actions !== 1) throw new UsageError('give exactly one of --to, --status, --rollback, --drop-old');
    const timeoutMs = values.timeout === undefined ? undefined : positiveInt('--timeout', values.timeout, 1);
    // Everything the command line can check is checked before a connection is opened.
    const target = values.to === undefined ? undefined : await parseTarget(values.to);
    const evalCases = values.eval === undefined ? null : await readEvalCases(values.eval);
    if (target !== undefined && evalCases === null && values.force !== true)
      throw new UsageError('--eval FILE is required to decide the switch (or --force to switch without measuring)');

    const builtins = await openBuiltinReader(loadRuntimeConfig());
    try {
      if (values.status === true) {
        const status = await builtins.migrations.status();
        if (values.json) printJson(status);
        else printStatus(status);
        return EXIT_OK;
      }
      if (values.rollback === true || values['drop-old'] === true) {
        const outcome =
          values.rollback === true
            ? { status: await builtins.migrations.rollback() }
            : await builtins.migrations.dropOld();
        if (values.json) printJson({ ...outcome.status, ...('dropped' in outcome && { dropped: outcome.dropped }) });
        else {
          if ('dropped' in outcome) printLine(`dropped ${outcome.dropped.name} (table ${outcome.dropped.table})`);
          printStatus(outcome.status);
        }
        return EXIT_OK;
      }
      const { migration, job } = await builtins.migrations.start(target!, { evalCases, force: values.force === true });
      if (values.wait !== true) {
        if (values.json) printJson({ migration: { id: migration.id, state: migration.state }, job });
        else
          printLine(
            `migration #${migration.id} started: job ${job.id} on the ${job.queue} lane (lanes migrate-embeddings --status)`,
          );
        return EXIT_OK;
      }
      const status = await withContext(undefined, ({ client }) =>
        waitForMigration(builtins, client, job.id, timeoutMs),
      );
      if (process.stderr.isTTY === true) process.stderr.write('\n');
      if (values.json) printJson({ ...status, job });
      else printStatus(status);
      const switched = status.migration?.state === 'switched';
      if (!switched) printNote(`not switched: ${status.migration?.reason ?? status.migration?.state ?? 'unknown'}`);
      return switched ? EXIT_OK : EXIT_FAILED;
    } finally {
      await builtins.close();
    }
  },
};

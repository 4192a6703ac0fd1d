import { cacheWarming, rebuildIndex, type AnyTaskContract, definedOnly } from '@lanes/contracts';
import type { CliCommand } from '../command.ts';
import { optionalPositiveInt, parseCommandArgs } from '../support/args.ts';
import { withContext } from '../support/context.ts';
import { reportJobs } from '../support/jobs-report.ts';

/** `lanes rebuild-index` and `lanes warm-cache`: enqueue a maintenance task, optionally wait. */
function maintenanceCommand(name: string, contract: AnyTaskContract, summary: string, detail: string): CliCommand {
  const usage = `Usage: lanes ${name} [--wait] [--json]

${detail}

Options:
  --wait        wait for the job and print its result (exit 1 if it failed)
  --timeout MS  with --wait, give up after MS milliseconds
  --json        print one JSON document
`;
  return {
    name,
    summary,
    usage,
    async run(argv) {
      const { values } = parseCommandArgs(argv, { wait: { type: 'boolean' }, timeout: { type: 'string' } }, false);
      return withContext(undefined, async ({ client }) => {
        const handle = await client.enqueue(contract, {});
        return reportJobs(client, [handle], {
          wait: values.wait === true,
          json: values.json === true,
          ...definedOnly({ timeoutMs: optionalPositiveInt('--timeout', values.timeout) }),
        });
      });
    },
  };
}

export const rebuildIndexCommand = maintenanceCommand(
  'rebuild-index',
  rebuildIndex,
  'enqueue `rebuild-index` (HNSW, built concurrently)',
  'Builds a fresh HNSW index concurrently, swaps it in and ANALYZEs; ingest and search go on meanwhile.',
);

export const warmCacheCommand = maintenanceCommand(
  'warm-cache',
  cacheWarming,
  'enqueue `cache-warming` for the most frequent recent queries',
  'Embeds and caches the top-k results of the most frequent recent queries.',
);

import { EXIT_FAILED, EXIT_OK, type CliCommand } from '../command.ts';
import { parseCommandArgs, UsageError } from '../support/args.ts';
import { withContext } from '../support/context.ts';
import { printJson, printLine } from '../support/output.ts';

const usage = `Usage: lanes status JOB_ID [--json]

Prints one job's state: waiting, delayed, active, completed, failed or unknown.
Exit 1 when the job is unknown or failed.
`;

export const statusCommand: CliCommand = {
  name: 'status',
  summary: "print one job's state",
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {});
    const [id, ...extra] = positionals;
    if (id === undefined || extra.length > 0) throw new UsageError('expected exactly one JOB_ID');
    return withContext(undefined, async ({ client }) => {
      const status = await client.status(id);
      if (values.json) printJson(status);
      else {
        printLine(
          `${status.id} ${status.task || '-'} ${status.queue ?? '-'} ${status.state} attempts=${status.attemptsMade}`,
        );
        if (status.failedReason) printLine(`failed: ${status.failedReason}`);
        if (status.result !== null) printLine(JSON.stringify(status.result));
      }
      return status.state === 'unknown' || status.state === 'failed' ? EXIT_FAILED : EXIT_OK;
    });
  },
};

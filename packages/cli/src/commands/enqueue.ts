import type { EnqueueOptions } from '@lanes/queue';
import { isLane, definedOnly } from '@lanes/contracts';
import type { CliCommand } from '../command.ts';
import { optionalPositiveInt, parseCommandArgs, readJsonArgument, UsageError } from '../support/args.ts';
import { withContext } from '../support/context.ts';
import { reportJobs } from '../support/jobs-report.ts';

const usage = `Usage: lanes enqueue TASK --data JSON|@file [options]

Enqueues one job of TASK after validating its payload; prints the job id.

Options:
  --data JSON|@file      the payload (required)
  --lane LANE            send to critical, default or low instead of the task's home lane
  --delay MS             start no earlier than MS milliseconds from now
  --priority N           priority within the lane (1 = most urgent)
  --key KEY              idempotency key: the same key always yields the same job
  --tenant T             whose work this is: tenants share each lane's workers fairly
  --wait                 wait for the job and print its result (exit 1 if it failed);
                         on a terminal, a progress bar
  --timeout MS           with --wait, give up after MS milliseconds (says so on stderr, exit 1)
  --tasks FILES          comma-separated task modules defining user tasks (or LANES_TASKS)
  --json                 print one JSON document
`;

export const enqueueCommand: CliCommand = {
  name: 'enqueue',
  summary: 'enqueue one job; print its id (or, with --wait, its result)',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      data: { type: 'string' },
      lane: { type: 'string' },
      delay: { type: 'string' },
      priority: { type: 'string' },
      key: { type: 'string' },
      tenant: { type: 'string' },
      wait: { type: 'boolean' },
      timeout: { type: 'string' },
      tasks: { type: 'string' },
    });
    const [task, ...extra] = positionals;
    if (task === undefined || extra.length > 0)
      throw new UsageError('expected exactly one TASK (see lanes enqueue --help)');
    if (values.lane !== undefined && !isLane(values.lane))
      throw new UsageError(`--lane must be critical, default or low, got "${values.lane}"`);
    const payload = await readJsonArgument('--data', values.data);
    const options: EnqueueOptions = {
      ...(values.lane !== undefined && isLane(values.lane) && { lane: values.lane }),
      ...definedOnly({ delayMs: optionalPositiveInt('--delay', values.delay) }),
      ...definedOnly({ priority: optionalPositiveInt('--priority', values.priority) }),
      ...definedOnly({ idempotencyKey: values.key }),
      ...definedOnly({ tenant: values.tenant }),
    };
    return withContext(values.tasks, async ({ client, registry }) => {
      const contract = registry.get(task);
      const handle = await client.enqueue(contract, payload, options);
      return reportJobs(client, [handle], {
        wait: values.wait === true,
        json: values.json === true,
        ...definedOnly({ timeoutMs: optionalPositiveInt('--timeout', values.timeout) }),
      });
    });
  },
};

import { LANES, isLane, type Lane, definedOnly } from '@lanes/contracts';
import { createLogger, LanesMetrics, LanesWorker, loadRuntimeConfig } from '@lanes/worker-core';
import { EXIT_OK, type CliCommand } from '../command.ts';
import { parseCommandArgs, positiveInt, UsageError } from '../support/args.ts';
import { loadBuiltinTasks } from '../support/builtins.ts';
import { loadTaskModules, mergeTasks, taskModulePaths } from '../support/task-modules.ts';

const usage = `Usage: lanes worker [options]

Runs workers on the given lanes until SIGTERM or SIGINT, then drains: in-flight jobs get
LANES_DRAIN_TIMEOUT_MS (default 30000) to finish; the rest go back to their lane at once.

Options:
  --queues LANES         comma-separated lanes to serve (default critical,default,low)
  --concurrency N        jobs at once per lane (default critical 8, default 8, low 4)
  --metrics-port P       serve /metrics, /healthz and /readyz on port P
  --tasks FILES          comma-separated task modules with user tasks (or LANES_TASKS)
  --no-builtins          do not run the built-in RAG tasks (no PostgreSQL needed)

With the built-ins, the worker also registers the job schedulers for rebuild-index
(LANES_REBUILD_INDEX_CRON, default "0 3 * * *"), cache-warming
(LANES_CACHE_WARMING_CRON, default "*/10 * * * *") and reconcile (LANES_RECONCILE_CRON,
default "*/5 * * * *": finishes or rolls back documents a failed or vanished ingest left
half-written); "off" disables one. Registration is
idempotent: one schedule however many workers start.
`;

function parseLanes(raw: string | undefined): Lane[] {
  if (raw === undefined) return [...LANES];
  const lanes = raw
    .split(',')
    .map((lane) => lane.trim())
    .filter((lane) => lane !== '');
  const bad = lanes.find((lane) => !isLane(lane));
  if (bad !== undefined || lanes.length === 0)
    throw new UsageError(`--queues must list critical, default or low, got "${raw}"`);
  return [...new Set(lanes as Lane[])];
}

export const workerCommand: CliCommand = {
  name: 'worker',
  summary: 'run workers on the lanes until SIGTERM/SIGINT, then drain',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(
      argv,
      {
        queues: { type: 'string' },
        concurrency: { type: 'string' },
        'metrics-port': { type: 'string' },
        tasks: { type: 'string' },
        'no-builtins': { type: 'boolean' },
      },
      false,
    );
    const lanes = parseLanes(values.queues);
    const concurrency =
      values.concurrency === undefined ? undefined : positiveInt('--concurrency', values.concurrency, 1);
    const metricsPort = values['metrics-port'] === undefined ? undefined : Number(values['metrics-port']);
    if (metricsPort !== undefined && !(Number.isInteger(metricsPort) && metricsPort >= 0 && metricsPort < 65536)) {
      throw new UsageError(`--metrics-port must be a port number, got "${values['metrics-port']}"`);
    }
    const config = loadRuntimeConfig();
    const logger = createLogger(config.logLevel, { component: 'worker' });
    const userTasks = await loadTaskModules(taskModulePaths(values.tasks));
    const metrics = new LanesMetrics();
    const builtins = values['no-builtins'] ? undefined : await loadBuiltinTasks(config, { metrics, logger });
    const worker = new LanesWorker({
      config,
      logger,
      metrics,
      lanes,
      tasks: mergeTasks([
        ...(builtins?.tasks ?? []).map((task) => ({ task, origin: 'the built-in tasks' })),
        ...userTasks,
      ]),
      ...definedOnly({ concurrency }),
      ...definedOnly({ readinessChecks: builtins?.readinessChecks }),
    });
    const stopped = new Promise<void>((resolve) => {
      let signalled = false;
      const onSignal = (signal: NodeJS.Signals): void => {
        if (signalled) process.exit(1);
        signalled = true;
        logger.info({ signal }, 'shutdown requested');
        void worker.close().finally(resolve);
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    });
    await worker.start();
    await builtins?.registerSchedules(worker.client);
    if (metricsPort !== undefined) {
      const port = await worker.listen(metricsPort);
      logger.info({ port }, 'metrics, health and readiness listening');
    }
    await stopped;
    await builtins?.close();
    logger.flush();
    return EXIT_OK;
  },
};

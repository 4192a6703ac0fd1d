import { createLogger, LanesMetrics } from '@lanes/worker-core';
import { EXIT_OK, type CliCommand } from '../command.ts';
import { parseCommandArgs, UsageError } from '../support/args.ts';
import { openBuiltinReader } from '../support/builtins.ts';
import { openContext } from '../support/context.ts';
import { definedOnly } from '@lanes/contracts';

const usage = `Usage: lanes dashboard [--port P] [--host H] [--tasks FILES]

Serves Bull Board at /admin/queues, the HTTP API under /api, an overview page at /,
/metrics, /healthz and /readyz, until SIGTERM or SIGINT.
With LANES_DASHBOARD_TOKEN set, every route but /healthz and /readyz needs
"Authorization: Bearer <token>" (Bull Board also takes it as the basic-auth password).
LANES_DASHBOARD_READ_ONLY=true refuses every write (POST /api/jobs included) with 403 and
hides Bull Board's retry, promote, clean and remove actions.

Options:
  --port P       listen on port P (default 3000; 0 picks a free one)
  --host H       listen address (default 0.0.0.0)
  --tasks FILES  comma-separated task modules whose tasks POST /api/jobs may enqueue (or LANES_TASKS)
`;

export const dashboardCommand: CliCommand = {
  name: 'dashboard',
  summary: 'serve the dashboard and HTTP API (default port 3000)',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(
      argv,
      { port: { type: 'string' }, host: { type: 'string' }, tasks: { type: 'string' } },
      false,
    );
    const port = values.port === undefined ? 3000 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port must be a port number, got "${values.port}"`);
    // Loaded here, not at the top: every other command (a worker above all) stays without Express and Bull Board.
    const { loadDashboardEnv, startDashboard } = await import('@lanes/dashboard');
    const { config, client, registry, close } = await openContext(values.tasks);
    const env = loadDashboardEnv();
    const logger = createLogger(config.logLevel, { component: 'dashboard' });
    const metrics = new LanesMetrics();
    const builtins = await openBuiltinReader(config, { metrics, logger });
    const dashboard = await startDashboard({
      port,
      client,
      contracts: registry,
      metrics,
      ...definedOnly({ host: values.host }),
      config,
      logger,
      readOnly: env.readOnly,
      ...definedOnly({ token: env.token }),
      search: builtins.search,
      documents: builtins.documents,
      usage: builtins.usage,
      embeddingMigration: builtins.migrations,
      readinessChecks: builtins.readinessChecks,
      allowedRoots: builtins.allowedRoots,
      assertPath: builtins.assertPath,
    });
    logger.info({ url: dashboard.url }, 'dashboard listening');
    process.stdout.write(`Dashboard: ${dashboard.url}/admin/queues\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', () => resolve());
      process.once('SIGINT', () => resolve());
    });
    await dashboard.close();
    await close();
    await builtins.close();
    return EXIT_OK;
  },
};

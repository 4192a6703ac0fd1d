import { LanesClient } from '@lanes/client';
import { createLogger, createTelemetry, LanesMetrics, loadRuntimeConfig } from '@lanes/worker-core';
import { loadDashboardEnv, startDashboard } from '@lanes/dashboard';
import { EXIT_OK, type CliCommand } from '../command.ts';
import { parseCommandArgs, UsageError } from '../support/args.ts';
import { loadBuiltins } from '../support/builtins.ts';

const usage = `Usage: lanes dashboard [--port P] [--host H]

Serves Bull Board at /admin/queues, the HTTP API under /api, an overview page at /,
/metrics, /healthz and /readyz, until SIGTERM or SIGINT.
With LANES_DASHBOARD_TOKEN set, every route but /healthz and /readyz needs
"Authorization: Bearer <token>" (Bull Board also takes it as the basic-auth password).
LANES_DASHBOARD_READ_ONLY=true hides Bull Board's retry, promote, clean and remove actions.

Options:
  --port P   listen on port P (default 3000; 0 picks a free one)
  --host H   listen address (default 0.0.0.0)
`;

export const dashboardCommand: CliCommand = {
  name: 'dashboard',
  summary: 'serve the dashboard and HTTP API (default port 3000)',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, { port: { type: 'string' }, host: { type: 'string' } }, false);
    const port = values.port === undefined ? 3000 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, got "${values.port}"`);
    const config = loadRuntimeConfig();
    const env = loadDashboardEnv();
    const logger = createLogger(config.logLevel, { component: 'dashboard' });
    const metrics = new LanesMetrics();
    const builtins = await loadBuiltins(config, { metrics, logger });
    const telemetry = createTelemetry(config);
    const client = new LanesClient({ redisUrl: config.redisUrl, prefix: config.prefix, ...(telemetry !== undefined && { telemetry }) });
    const dashboard = await startDashboard({
      port,
      client,
      metrics,
      ...(values.host !== undefined && { host: values.host }),
      config,
      logger,
      readOnly: env.readOnly,
      ...(env.token !== undefined && { token: env.token }),
      search: builtins.search,
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
    await client.close();
    await builtins.close();
    return EXIT_OK;
  },
};

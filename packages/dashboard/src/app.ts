import express, { type Express } from 'express';
import { builtinContracts, ContractRegistry } from '@lanes/contracts';
import { createLogger } from '@lanes/worker-core';
import { requireToken } from './auth.ts';
import { BULL_BOARD_PATH, bullBoardRouter } from './bull-board.ts';
import { notFound } from './errors.ts';
import { errorHandler } from './error-handler.ts';
import { httpMetrics, routeLabel } from './http-metrics.ts';
import { createDashboardMetrics } from './metrics.ts';
import { logQueueErrors } from './queue-errors.ts';
import { DEFAULT_BODY_LIMIT, DEFAULT_READINESS_TIMEOUT_MS, DEFAULT_STORE_TIMEOUT_MS, type DashboardOptions, type SearchFunction } from './options.ts';
import { jobRoutes } from './routes/jobs.ts';
import { overviewRoutes } from './routes/overview.ts';
import { probeRoutes } from './routes/probes.ts';
import { searchRoutes } from './routes/search.ts';

/** Routes polled by machines: logged at debug so they do not drown the request log. */
const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The dashboard as an Express app: Bull Board, the HTTP API of CONTRACT.md, the overview page,
 * probes and metrics. The caller owns the client (and closes it); see startDashboard to listen.
 */
export function createDashboard(options: DashboardOptions): Express {
  const { client } = options;
  const metrics = options.metrics ?? createDashboardMetrics();
  const logger = options.logger ?? createLogger('info', { component: 'dashboard' });
  const contracts = options.contracts ?? new ContractRegistry(builtinContracts);
  const search: SearchFunction = options.search ?? (({ query, ...rest }) => client.search(query, rest));
  const readOnly = options.readOnly ?? false;
  const storeTimeoutMs = options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS;

  logQueueErrors(client, logger);

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use((_req, res, next) => {
    res.set('x-content-type-options', 'nosniff').set('referrer-policy', 'no-referrer');
    next();
  });
  app.use(httpMetrics(metrics));
  app.use((req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      const route = routeLabel(req);
      const line = { method: req.method, route, status: res.statusCode, durationMs: Math.round(performance.now() - started) };
      if (QUIET_ROUTES.has(route) && res.statusCode < 400) logger.debug(line, 'request');
      else logger.info(line, 'request');
    });
    next();
  });
  app.use(requireToken(options.token));
  // Parsed only for the API; Bull Board parses its own bodies.
  app.use('/api', express.json({ limit: options.bodyLimit ?? DEFAULT_BODY_LIMIT, strict: false }));

  app.use(
    probeRoutes({
      client,
      metrics,
      logger,
      readinessChecks: options.readinessChecks ?? [],
      readinessTimeoutMs: options.readinessTimeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS,
    }),
  );
  app.use(jobRoutes({ client, contracts, storeTimeoutMs, allowedRoots: options.allowedRoots ?? [], ...(options.assertPath !== undefined && { assertPath: options.assertPath }) }));
  app.use(searchRoutes(search));
  app.use(overviewRoutes({ client, metrics, storeTimeoutMs, tasks: contracts.names() }));
  app.use(BULL_BOARD_PATH, bullBoardRouter(client, readOnly));

  app.use((req, _res, next) => next(notFound(`no route for ${req.method} ${req.path}`)));
  app.use(errorHandler(logger));
  return app;
}

import express, { type Express, type RequestHandler } from 'express';
import { builtinContracts, ContractRegistry, definedOnly } from '@lanes/contracts';
import { createLogger, LanesMetrics } from '@lanes/worker-core';
import { requireToken } from './auth.ts';
import { BULL_BOARD_PATH, bullBoardRouter } from './bull-board.ts';
import { HttpError, notFound } from './errors.ts';
import { errorHandler } from './error-handler.ts';
import { httpMetrics, routeLabel } from './http-metrics.ts';
import { logQueueErrors } from './queue-errors.ts';
import {
  DEFAULT_BODY_LIMIT,
  DEFAULT_READINESS_TIMEOUT_MS,
  DEFAULT_STORE_TIMEOUT_MS,
  type DashboardOptions,
  type SearchFunction,
} from './options.ts';
import { documentRoutes } from './routes/documents.ts';
import { embeddingMigrationRoutes } from './routes/embedding-migration.ts';
import { jobRoutes } from './routes/jobs.ts';
import { assetRoutes } from './routes/assets.ts';
import { overviewRoutes } from './routes/overview.ts';
import { probeRoutes } from './routes/probes.ts';
import { searchRoutes } from './routes/search.ts';
import { tenantRoutes } from './routes/tenants.ts';

/** Routes polled by machines: logged at debug so they do not drown the request log. */
const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * express.json, with a body that cannot be decoded (garbage under `content-encoding: br`,
 * gzip or deflate) answered 400 like malformed JSON: the decompressor's errors come through
 * without body-parser's `type` and used to become 500s.
 */
function jsonBody(limit: number | string): RequestHandler {
  const parse = express.json({ limit, strict: false });
  return (req, res, next) =>
    parse(req, res, (error?: unknown) => {
      // body-parser's own errors carry a `type` (entity.too.large, encoding.unsupported, ...).
      if (error === undefined || (typeof error === 'object' && error !== null && 'type' in error)) return next(error);
      const encoding = req.headers['content-encoding'] ?? 'identity';
      next(
        new HttpError(400, `the body could not be decoded as ${encoding}`, {
          fields: [{ field: '(body)', message: error instanceof Error ? error.message : String(error) }],
          code: 'BAD_ENCODING',
        }),
      );
    });
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Read-only means read-only: no job created (a job can overwrite any document or rebuild the
 * live index), nothing retried, cleaned or removed, whichever route is asked.
 */
const refuseWrites: RequestHandler = (req, _res, next) => {
  if (SAFE_METHODS.has(req.method)) return next();
  next(
    new HttpError(403, 'the dashboard is read-only (LANES_DASHBOARD_READ_ONLY=true): it creates and changes nothing', {
      code: 'READ_ONLY',
    }),
  );
};

/**
 * The dashboard as an Express app: Bull Board, the HTTP API of CONTRACT.md, the overview page,
 * probes and metrics. The caller owns the client (and closes it); see startDashboard to listen.
 */
export function createDashboard(options: DashboardOptions): Express {
  const { client } = options;
  const metrics = options.metrics ?? new LanesMetrics();
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
      const line = {
        method: req.method,
        route,
        status: res.statusCode,
        durationMs: Math.round(performance.now() - started),
      };
      if (QUIET_ROUTES.has(route) && res.statusCode < 400) logger.debug(line, 'request');
      else logger.info(line, 'request');
    });
    next();
  });
  app.use(requireToken(options.token));
  if (readOnly) app.use(refuseWrites);
  // Parsed only for the API; Bull Board parses its own bodies.
  app.use('/api', jsonBody(options.bodyLimit ?? DEFAULT_BODY_LIMIT));

  app.use(
    probeRoutes({
      client,
      metrics,
      logger,
      readinessChecks: options.readinessChecks ?? [],
      readinessTimeoutMs: options.readinessTimeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS,
    }),
  );
  app.use(
    jobRoutes({
      client,
      contracts,
      storeTimeoutMs,
      allowedRoots: options.allowedRoots ?? [],
      ...definedOnly({ assertPath: options.assertPath }),
    }),
  );
  app.use(searchRoutes(search));
  app.use(documentRoutes({ documents: options.documents, readOnly }));
  app.use(embeddingMigrationRoutes(options.embeddingMigration));
  app.use(tenantRoutes({ client, documents: options.documents, storeTimeoutMs }));
  app.use(
    overviewRoutes({
      client,
      metrics,
      storeTimeoutMs,
      tasks: contracts.names(),
      usage: options.usage,
      readOnly,
      embeddingSpaces: options.embeddingMigration !== undefined,
    }),
  );
  app.use(assetRoutes());
  app.use(BULL_BOARD_PATH, bullBoardRouter(client, readOnly));

  app.use((req, _res, next) => next(notFound(`no route for ${req.method} ${req.path}`)));
  app.use(errorHandler(logger, client.redisUrl));
  return app;
}

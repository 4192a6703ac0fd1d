import type { Request, RequestHandler } from 'express';
import type { LanesMetrics } from '@lanes/worker-core';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * The route pattern, never the raw path: ids in URLs would make one series per job. Everything
 * Bull Board serves counts as one route, and unmatched requests (404, refused by auth) as `other`.
 */
export function routeLabel(req: Request): string {
  if (req.originalUrl.startsWith('/admin/queues')) return '/admin/queues';
  const route: unknown = req.route;
  if (typeof route === 'object' && route !== null && 'path' in route && typeof route.path === 'string')
    return `${req.baseUrl}${route.path}`;
  return 'other';
}

/** Records `lanes_dashboard_http_request_duration_seconds{method,route,status}`. */
export function httpMetrics(metrics: LanesMetrics): RequestHandler {
  const histogram = metrics.histogram(
    'lanes_dashboard_http_request_duration_seconds',
    'Dashboard HTTP request duration by method, route pattern and status code',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    ['method', 'route', 'status'],
  );
  return (req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      const method = METHODS.has(req.method) ? req.method : 'OTHER';
      histogram.observe(
        { method, route: routeLabel(req), status: String(res.statusCode) },
        (performance.now() - started) / 1000,
      );
    });
    next();
  };
}

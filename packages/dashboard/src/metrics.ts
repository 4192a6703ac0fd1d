import { LanesMetrics } from '@lanes/worker-core';

/**
 * prom-client's default collectors expose three gauges whose names end in `_total`, which
 * `promtool check metrics` rejects ("non-counter metrics should not have _total suffix").
 * A registry the dashboard creates drops them so its exposition passes promtool; a registry
 * injected by the caller is served as given.
 */
export const MISNAMED_DEFAULT_GAUGES = [
  'lanes_process_nodejs_active_handles_total',
  'lanes_process_nodejs_active_requests_total',
  'lanes_process_nodejs_active_resources_total',
] as const;

export function createDashboardMetrics(): LanesMetrics {
  const metrics = new LanesMetrics();
  for (const name of MISNAMED_DEFAULT_GAUGES) metrics.registry.removeSingleMetric(name);
  return metrics;
}

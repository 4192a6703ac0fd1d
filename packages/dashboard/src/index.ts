export { createDashboard } from './app.ts';
export { startDashboard, DEFAULT_DASHBOARD_PORT, type RunningDashboard, type StartDashboardOptions } from './server.ts';
export {
  DEFAULT_BODY_LIMIT,
  type DashboardOptions,
  type DocumentEntry,
  type DocumentsBackend,
  type EmbeddingMigrationSource,
  type TenantCorpusEntry,
  type PathGuard,
  type ReadinessCheck,
  type SearchFunction,
} from './options.ts';
export { loadDashboardEnv, type DashboardEnv } from './env.ts';
export { defaultPathGuard } from './path-guard.ts';
export { readOverview, THROUGHPUT_WINDOW_MINUTES, type Overview } from './overview.ts';
export { findJobs, type JobQuery, type JobSearchResult } from './job-finder.ts';
export type { JobView } from './job-view.ts';
export { HttpError } from './errors.ts';
export {
  readSeries,
  sampleBacklog,
  SERIES_RANGES,
  type OverviewSeries,
  type SeriesRange,
  type UsageSource,
} from './series.ts';
export { readTenants, MAX_TENANT_ROWS, type TenantRow, type TenantsView } from './tenants.ts';

export {
  envDurationMs,
  envEnum,
  envInt,
  envOptional,
  envString,
  envUrl,
  MAX_TIMER_MS,
  type Env,
} from './config/env.ts';
export {
  LOG_LEVELS,
  TRACING_MODES,
  loadRuntimeConfig,
  type LogLevel,
  type RuntimeConfig,
} from './config/runtime-config.ts';
export { createLogger, type Logger } from './observability/logger.ts';
export { LanesMetrics } from './observability/metrics.ts';
export {
  DEPTH_STATES,
  readAllLaneDepths,
  readLaneDepth,
  type DepthState,
  type LaneDepth,
} from './observability/lane-depth.ts';
export { startProbeServer, type ProbeResult, type Probes } from './observability/http-probes.ts';
export { createTelemetry } from './observability/tracing.ts';
export { DEFAULT_REPEAT_WINDOW_MS, RepeatedErrorLog } from './observability/repeated-errors.ts';
export {
  child,
  defineTask,
  implement,
  type ChildRequest,
  type ChildResults,
  type JobInfo,
  type ParentJob,
  type TaskContext,
  type TaskDefinition,
  type TaskHandler,
} from './runtime/task.ts';
export { DrainDeadlineError } from './runtime/errors.ts';
export { IsolateCrashedError, JobCancelledError } from '@lanes/contracts';
export { DuplicateStepError } from './runtime/steps.ts';
export { RateBudget, type BudgetDimension, type RateBudgetLimits } from './runtime/rate-budget.ts';
export {
  DEFAULT_CONCURRENCY,
  LanesWorker,
  type DrainReport,
  type LaneConcurrency,
  type LanesWorkerOptions,
} from './runtime/lanes-worker.ts';
export { runIsolated, type IsolationOptions } from './isolation/run-isolated.ts';

export {
  DEFAULT_PREFIX,
  closeConnection,
  createBlockingConnection,
  createProducerConnection,
  hashTaggedPrefix,
  isClusterUrl,
  parseClusterUrl,
  type ClusterUrl,
} from './connection.ts';
export { buildJobSpec, jobIdFor, tenantOf, type JobSpec, type ParentLink } from './job-spec.ts';
export {
  MAX_DELAY_MS,
  MAX_PRIORITY,
  enqueueOptionsSchema,
  parseEnqueueOptions,
  type EnqueueOptions,
} from './enqueue-options.ts';
export { LaneQueues } from './lane-queues.ts';
export { toJobState, toJobStatus, unknownJobStatus } from './job-status.ts';
export { cancelChannel } from './cancellation.ts';
export { readFailure, recordFailure } from './job-failure.ts';
export {
  DEFAULT_OUTCOME_TTL_MS,
  MAX_OUTCOME_BYTES,
  outcomeKey,
  outcomeStatus,
  OutcomeRecorder,
  readOutcome,
  type JobOutcome,
} from './outcomes.ts';
export { DEFAULT_REMOVE_ON_COMPLETE, DEFAULT_REMOVE_ON_FAIL } from './retention.ts';
export {
  DEFAULT_TENANT_WINDOW,
  HOLD_DELAY_MS,
  heldJobsByTenant,
  holdTenantJobs,
  isHeldJob,
  releaseHeldJob,
  setTenantWindow,
  TenantAdmission,
} from './tenant-fairness.ts';
export {
  addTenantJobCounts,
  readTenantJobCounts,
  tenantJobField,
  type AnyRedis,
  type TenantJobTotals,
  type TenantOutcome,
} from './tenant-stats.ts';

export { DEFAULT_PREFIX, createBlockingConnection, createProducerConnection, hashTaggedPrefix, isClusterUrl, parseClusterUrl, type ClusterUrl } from './connection.ts';
export { MAX_PRIORITY, buildJobSpec, jobIdFor, type EnqueueOptions, type JobSpec, type ParentLink } from './job-spec.ts';
export { LaneQueues } from './lane-queues.ts';
export { toJobState, toJobStatus, unknownJobStatus } from './job-status.ts';
export { cancelChannel } from './cancellation.ts';
export { DEFAULT_OUTCOME_TTL_MS, MAX_OUTCOME_BYTES, outcomeKey, outcomeStatus, readOutcome, recordOutcome, type JobOutcome } from './outcomes.ts';
export { DEFAULT_REMOVE_ON_COMPLETE, DEFAULT_REMOVE_ON_FAIL } from './retention.ts';

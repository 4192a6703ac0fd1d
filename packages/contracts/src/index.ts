import './node-version.ts';
export { LANES, isLane, type Lane } from './lanes.ts';
export { ConfigError, InvalidOptionsError, InvalidPayloadError, LanesError, PermanentError, TaskTimeoutError, UnknownTaskError, type FieldIssue } from './errors.ts';
export { DEFAULT_RETRY, DEFAULT_TIMEOUT_MS, defineContract, parsePayload, toFieldIssues, type AnyTaskContract, type ContractSpec, type ParsedPayloadOf, type PayloadOf, type RateLimit, type ResultOf, type RetryPolicy, type TaskContract } from './task-contract.ts';
export { DEPENDENCIES, DependencyUnavailableError, asDependencyError, infrastructureFault, redactUrl, type Dependency, type DependencyErrorContext, type FaultKind, type InfrastructureFault } from './dependency-faults.ts';
export { JOB_STATES, type JobRef, type JobState, type JobStatus } from './job-status.ts';
export { ContractRegistry } from './registry.ts';
export { batchEmbed, batchEmbedPayload, builtinContracts, cacheWarming, cacheWarmingPayload, ingest, ingestPayload, rebuildIndex, rebuildIndexPayload, reconcile, reconcilePayload, search, searchPayload, type BatchEmbedResult, type CacheWarmingResult, type IngestResult, type RebuildIndexResult, type ReconcileResult, type SearchHit, type SearchResponse } from './builtin/index.ts';
export { z } from 'zod';

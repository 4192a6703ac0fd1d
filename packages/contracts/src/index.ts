import './node-version.ts';
export { LANES, isLane, type Lane } from './lanes.ts';
export { ConfigError, InvalidOptionsError, InvalidPayloadError, LanesError, PermanentError, TaskTimeoutError, UnknownTaskError, type FieldIssue } from './errors.ts';
export { DEFAULT_RETRY, DEFAULT_TIMEOUT_MS, defineContract, MAX_PAYLOAD_DEPTH, parsePayload, toFieldIssues, type AnyTaskContract, type ContractSpec, type ParsedPayloadOf, type PayloadOf, type RateLimit, type ResultOf, type RetryPolicy, type TaskContract } from './task-contract.ts';
export { JOB_STATES, type JobRef, type JobState, type JobStatus } from './job-status.ts';
export { ContractRegistry } from './registry.ts';
export { isSecretKey, REDACTED, redact, redactError, redactString, registerSecret, registerSecretsFrom } from './redact.ts';
export { batchEmbed, batchEmbedPayload, builtinContracts, cacheWarming, cacheWarmingPayload, HNSW_BOUNDS, ingest, ingestPayload, rebuildIndex, rebuildIndexPayload, search, searchPayload, type BatchEmbedResult, type CacheWarmingResult, type IngestResult, type RebuildIndexResult, type SearchHit, type SearchResponse } from './builtin/index.ts';
export { z } from 'zod';

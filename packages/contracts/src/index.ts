import './node-version.ts';
export { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL } from './defaults.ts';
export { LANES, isLane, type Lane } from './lanes.ts';
export {
  ConfigError,
  CutOverOutrunError,
  DocumentRejectedError,
  EmbeddingRejectedError,
  EmbeddingUnavailableError,
  ExtractionCrashedError,
  ExtractionMemoryError,
  ExtractionTimeoutError,
  InvalidMigrationError,
  InvalidOptionsError,
  InvalidPayloadError,
  IsolateCrashedError,
  JobCancelledError,
  LanesError,
  PathNotAllowedError,
  PermanentError,
  TaskTimeoutError,
  TenantMismatchError,
  UnknownSpaceError,
  UnknownTaskError,
  type FieldIssue,
} from './errors.ts';
export { ERROR_CLASSES, isSerializedError, rebuildError, serializeError, type SerializedError } from './error-registry.ts';
export { DEFAULT_RETRY, DEFAULT_TIMEOUT_MS, defineContract, MAX_PAYLOAD_DEPTH, parsePayload, toFieldIssues, type AnyTaskContract, type ContractSpec, type ParsedPayloadOf, type PayloadOf, type RateLimit, type ResultOf, type RetryPolicy, type TaskContract } from './task-contract.ts';
export { DEPENDENCIES, DependencyUnavailableError, asDependencyError, infrastructureFault, redactUrl, type Dependency, type DependencyErrorContext, type FaultKind, type InfrastructureFault } from './dependency-faults.ts';
export { JOB_STATES, type JobRef, type JobState, type JobStatus } from './job-status.ts';
export { ContractRegistry } from './registry.ts';
export { isSecretKey, REDACTED, redact, redactError, redactString, registerSecret, registerSecretsFrom } from './redact.ts';
export { batchEmbed, batchEmbedPayload, builtinContracts, cacheWarming, cacheWarmingPayload, DOCUMENT_EXTENSIONS, DOCUMENT_KINDS, HNSW_BOUNDS, ingest, ingestPayload, MAX_SEARCH_K, migrateEmbeddings, migrateEmbeddingsBatch, migrateEmbeddingsBatchPayload, migrateEmbeddingsPayload, MAX_SEARCH_QUERY_CHARS, rebuildIndex, rebuildIndexPayload, reconcile, reconcilePayload, search, SEARCH_MODES, searchFilter, searchMode, searchPayload, type BatchEmbedResult, type CacheWarmingResult, type DocumentKind, type IngestResult, type MigrateEmbeddingsBatchResult, type MigrateEmbeddingsResult, type RebuildIndexResult, type ReconcileResult, type SearchFilter, type SearchHit, type SearchMode, type SearchRequest, type SearchResponse, type SearchScores } from './builtin/index.ts';
export { definedOnly, type DefinedOnly } from './defined.ts';
export { TENANT_PATTERN, tenantId } from './tenant.ts';
export { z } from 'zod';

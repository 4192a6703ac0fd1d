/** One invalid field of a payload, with a dotted path such as `metadata.tags.0`. */
export interface FieldIssue {
  readonly field: string;
  readonly message: string;
}

/**
 * Base class: every Lanes error carries a stable code and structured context. Classes that
 * cross a thread or process boundary keep all their data in `message` and `context` (their
 * own fields read the context), so the registry (error-registry.ts) rebuilds them by code.
 */
export class LanesError extends Error {
  readonly code: string;
  readonly context: Readonly<Record<string, unknown>>;
  constructor(code: string, message: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.context = context;
  }
}

/** A payload refused before anything reaches Redis. */
export class InvalidPayloadError extends LanesError {
  static readonly code = 'INVALID_PAYLOAD';
  constructor(task: string, issues: readonly FieldIssue[]) {
    const summary = issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ');
    super(InvalidPayloadError.code, `invalid payload for task "${task}": ${summary}`, { task, issues });
  }
  get task(): string {
    return this.context.task as string;
  }
  get issues(): readonly FieldIssue[] {
    return this.context.issues as readonly FieldIssue[];
  }
}

/** Enqueue options refused before anything reaches Redis, naming each bad field (`options.tenant`). */
export class InvalidOptionsError extends LanesError {
  static readonly code = 'INVALID_OPTIONS';
  constructor(issues: readonly FieldIssue[]) {
    super(
      InvalidOptionsError.code,
      `invalid enqueue options: ${issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ')}`,
      { issues },
    );
  }
  get issues(): readonly FieldIssue[] {
    return this.context.issues as readonly FieldIssue[];
  }
}

export class UnknownTaskError extends LanesError {
  static readonly code = 'UNKNOWN_TASK';
  constructor(task: string, known: readonly string[]) {
    super(UnknownTaskError.code, `unknown task "${task}" (known: ${known.join(', ')})`, { task, known });
  }
}

/** A handler attempt that ran past its task's timeout. Retried like any failure. */
export class TaskTimeoutError extends LanesError {
  static readonly code = 'TASK_TIMEOUT';
  constructor(task: string, timeoutMs: number) {
    super(TaskTimeoutError.code, `task "${task}" attempt timed out after ${timeoutMs} ms`, { task, timeoutMs });
  }
}

/**
 * A failure that no retry can fix (a corrupt document, an unsupported type): the job fails
 * at once with this reason instead of burning its attempts. Subclasses declare their own code.
 */
export class PermanentError extends LanesError {
  static readonly code: string = 'PERMANENT_FAILURE';
  constructor(message: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super((new.target as typeof PermanentError).code, message, context, options);
  }
}

export class ConfigError extends LanesError {
  static readonly code = 'INVALID_CONFIG';
  constructor(variable: string, problem: string) {
    super(ConfigError.code, `invalid configuration: ${variable} ${problem}`, { variable });
  }
  get variable(): string {
    return this.context.variable as string;
  }
}

/** A path that may not be read: outside the allowed roots, missing, or not a plain file. Refused for good, naming the field `path`. */
export class PathNotAllowedError extends PermanentError {
  static override readonly code = 'PATH_NOT_ALLOWED';
  constructor(path: string, reason: string) {
    super(`path "${path}" ${reason}`, { path });
  }
  get field(): string {
    return 'path';
  }
}

/**
 * A document this pipeline cannot read (corrupt, empty, encrypted, unsupported, too large).
 * Permanent: the job fails once with this reason instead of retrying forever.
 */
export class DocumentRejectedError extends PermanentError {
  static override readonly code = 'DOCUMENT_REJECTED';
  constructor(source: string, reason: string) {
    super(`cannot ingest ${source}: ${reason}`, { source, reason });
  }
  get reason(): string {
    return this.context.reason as string;
  }
}

/** An ingest whose payload names another tenant than the job was enqueued for: whose document it is would be a guess. */
export class TenantMismatchError extends PermanentError {
  static override readonly code = 'TENANT_MISMATCH';
  constructor(payloadTenant: string, jobTenant: string) {
    super(
      `tenant: the payload's tenant "${payloadTenant}" differs from the job's tenant "${jobTenant}" (options.tenant)`,
      { field: 'tenant', payloadTenant, jobTenant },
    );
  }
  get field(): string {
    return 'tenant';
  }
}

/** The embedding provider refused for good (quota exhausted, bad request, wrong dimensions). */
export class EmbeddingRejectedError extends PermanentError {
  static override readonly code = 'EMBEDDING_REJECTED';
}

/** The provider kept failing after every retry; the caller may fail over to another model. */
export class EmbeddingUnavailableError extends LanesError {
  static readonly code = 'EMBEDDING_UNAVAILABLE';
  constructor(message: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(EmbeddingUnavailableError.code, message, context, options);
  }
}

/** An extraction thread crashed or ran out of heap. */
export class ExtractionCrashedError extends PermanentError {
  static override readonly code = 'EXTRACTION_CRASHED';
}

export class ExtractionTimeoutError extends PermanentError {
  static override readonly code = 'EXTRACTION_TIMEOUT';
}

export class ExtractionMemoryError extends PermanentError {
  static override readonly code = 'EXTRACTION_MEMORY';
}

/** A thread of `runIsolated` crashed, ran out of heap or exited. */
export class IsolateCrashedError extends PermanentError {
  static override readonly code = 'ISOLATE_CRASHED';
}

/** Aborts an attempt because the client cancelled the job: it fails and is not retried. */
export class JobCancelledError extends LanesError {
  static readonly code = 'JOB_CANCELLED';
  constructor(jobId: string, reason: string) {
    super(JobCancelledError.code, `cancelled: ${reason}`, { jobId });
  }
}

/** An embedding migration that cannot be started, rolled back or dropped as asked (bad input: the CLI exits 2). */
export class InvalidMigrationError extends LanesError {
  static readonly code = 'INVALID_MIGRATION';
  constructor(message: string, context: Record<string, unknown> = {}) {
    super(InvalidMigrationError.code, message, context);
  }
}

/** A space id that no longer names a vector table (dropped with `lanes migrate-embeddings --drop-old` meanwhile). */
export class UnknownSpaceError extends LanesError {
  static readonly code = 'UNKNOWN_SPACE';
  constructor(spaceId: number) {
    super(UnknownSpaceError.code, `embedding space ${spaceId} does not exist (dropped?)`, { spaceId });
  }
}

/** Ingests kept adding texts faster than a migration's final sweeps embedded them: the attempt fails and is retried. */
export class CutOverOutrunError extends LanesError {
  static readonly code = 'CUT_OVER_OUTRUN';
  constructor(attempts: number) {
    super(
      CutOverOutrunError.code,
      `ingests kept adding texts faster than ${attempts} sweeps embedded them; the migration retries`,
      { attempts },
    );
  }
}

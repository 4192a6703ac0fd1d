/** One invalid field of a payload, with a dotted path such as `metadata.tags.0`. */
export interface FieldIssue {
  readonly field: string;
  readonly message: string;
}

/** Base class: every Lanes error carries a stable code and structured context. */
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
  readonly task: string;
  readonly issues: readonly FieldIssue[];
  constructor(task: string, issues: readonly FieldIssue[]) {
    const summary = issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ');
    super('INVALID_PAYLOAD', `invalid payload for task "${task}": ${summary}`, { task, issues });
    this.task = task;
    this.issues = issues;
  }
}

/** Enqueue options refused before anything reaches Redis, naming each bad field (`options.tenant`). */
export class InvalidOptionsError extends LanesError {
  readonly issues: readonly FieldIssue[];
  constructor(issues: readonly FieldIssue[]) {
    super('INVALID_OPTIONS', `invalid enqueue options: ${issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ')}`, { issues });
    this.issues = issues;
  }
}

export class UnknownTaskError extends LanesError {
  constructor(task: string, known: readonly string[]) {
    super('UNKNOWN_TASK', `unknown task "${task}" (known: ${known.join(', ')})`, { task, known });
  }
}

/** A handler attempt that ran past its task's timeout. Retried like any failure. */
export class TaskTimeoutError extends LanesError {
  constructor(task: string, timeoutMs: number) {
    super('TASK_TIMEOUT', `task "${task}" attempt timed out after ${timeoutMs} ms`, { task, timeoutMs });
  }
}

/**
 * A failure that no retry can fix (a corrupt document, an unsupported type): the job fails
 * at once with this reason instead of burning its attempts.
 */
export class PermanentError extends LanesError {
  constructor(message: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super('PERMANENT_FAILURE', message, context, options);
  }
}

export class ConfigError extends LanesError {
  readonly variable: string;
  constructor(variable: string, problem: string) {
    super('INVALID_CONFIG', `invalid configuration: ${variable} ${problem}`, { variable });
    this.variable = variable;
  }
}

/**
 * A path that may not be read: outside the allowed roots, missing, or not a plain file. Refused
 * for good, naming the field `path`. `permanent` survives the trip out of an extraction thread.
 */
export class PathNotAllowedError extends PermanentError {
  readonly permanent = true;
  readonly field = 'path';
  constructor(path: string, reason: string) {
    super(`path "${path}" ${reason}`, { path });
  }
}

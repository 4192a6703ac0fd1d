import { LanesError, PermanentError } from '@lanes/contracts';

/**
 * A document this pipeline cannot read (corrupt, empty, encrypted, unsupported, too large).
 * Permanent: the job fails once with this reason instead of retrying forever.
 * `permanent` survives the trip out of an extraction thread (the pool checks the flag).
 */
export class DocumentRejectedError extends PermanentError {
  readonly permanent = true;
  readonly reason: string;
  constructor(source: string, reason: string) {
    super(`cannot ingest ${source}: ${reason}`, { source, reason });
    this.reason = reason;
  }
}

/** An ingest whose payload names another tenant than the job was enqueued for: whose document it is would be a guess. */
export class TenantMismatchError extends PermanentError {
  readonly field = 'tenant';
  constructor(payloadTenant: string, jobTenant: string) {
    super(`tenant: the payload's tenant "${payloadTenant}" differs from the job's tenant "${jobTenant}" (options.tenant)`, { field: 'tenant', payloadTenant, jobTenant });
  }
}

/** The embedding provider refused for good (quota exhausted, bad request, wrong dimensions). */
export class EmbeddingRejectedError extends PermanentError {
  constructor(message: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, context, options);
  }
}

/** The provider kept failing after every retry; the caller may fail over to another model. */
export class EmbeddingUnavailableError extends LanesError {
  constructor(message: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super('EMBEDDING_UNAVAILABLE', message, context, options);
  }
}


import type { ErrorRequestHandler, Response } from 'express';
import {
  asDependencyError,
  DependencyUnavailableError,
  InvalidPayloadError,
  LanesError,
  redactString,
  UnknownTaskError,
  type FieldIssue,
  definedOnly,
} from '@lanes/contracts';
import type { Logger } from '@lanes/worker-core';
import { HttpError, type ErrorBody } from './errors.ts';

/** What body-parser attaches to the errors it raises. */
interface BodyParserError {
  readonly type: string;
  readonly status: number;
  readonly message: string;
  readonly limit?: number;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  return (
    typeof error === 'object' &&
    error !== null &&
    'type' in error &&
    'status' in error &&
    typeof error.type === 'string' &&
    typeof error.status === 'number'
  );
}

/** Payload issues are named as the request names them: `data.path`, not `path`. */
export function dataFields(issues: readonly FieldIssue[]): FieldIssue[] {
  return issues.map((issue) => ({
    field: issue.field === '(payload)' ? 'data' : `data.${issue.field}`,
    message: issue.message,
  }));
}

/**
 * Maps every error a route can raise to one HTTP answer; unexpected ones are logged, never
 * echoed. An outage not typed yet comes from the lane queues: it is named as Redis at `redisUrl`.
 */
export function toHttpError(error: unknown, redisUrl: string): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof InvalidPayloadError)
    return new HttpError(400, error.message, { fields: dataFields(error.issues), code: error.code });
  if (error instanceof UnknownTaskError)
    return new HttpError(400, error.message, { fields: [{ field: 'task', message: error.message }], code: error.code });
  if (isBodyParserError(error)) {
    if (error.type === 'entity.too.large') {
      const limit = error.limit === undefined ? 'the size limit' : `the ${error.limit}-byte limit`;
      return new HttpError(413, `request body exceeds ${limit}`, { code: 'BODY_TOO_LARGE' });
    }
    if (error.type === 'entity.parse.failed')
      return new HttpError(400, 'body is not valid JSON', {
        fields: [{ field: '(body)', message: error.message }],
        code: 'MALFORMED_JSON',
      });
    if (error.status >= 400 && error.status < 500)
      return new HttpError(error.status, error.message, { code: 'BAD_BODY' });
  }
  if (error instanceof LanesError) {
    if (error.code === 'WAIT_TIMEOUT') return new HttpError(504, redactString(error.message), { code: error.code });
    if (error.code === 'JOB_FAILED') return new HttpError(502, redactString(error.message), { code: error.code });
    if (error.code === 'DEPENDENCY_TIMEOUT')
      return new HttpError(503, error.message, { code: 'UNAVAILABLE', headers: { 'retry-after': '5' } });
  }
  // Redis (the routes' store; PostgreSQL errors arrive already typed) down or refusing writes.
  const named = asDependencyError(error, 'redis', { url: redisUrl });
  if (named instanceof DependencyUnavailableError)
    return new HttpError(503, redactString(named.message), { code: 'UNAVAILABLE', headers: { 'retry-after': '5' } });
  return new HttpError(500, 'internal error', { code: 'INTERNAL' });
}

export function sendError(res: Response, error: HttpError): void {
  const body: ErrorBody = { error: error.message, code: error.code, ...definedOnly({ fields: error.fields }) };
  res.status(error.status).set(error.headers).set('cache-control', 'no-store').json(body);
}

export function errorHandler(logger: Logger, redisUrl: string): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    const http = toHttpError(error, redisUrl);
    if (http.status >= 500) {
      const message = error instanceof Error ? redactString(error.message) : String(error);
      // 503: a dependency is down, which /readyz already reports; 500 is a bug worth an error.
      logger[http.status === 503 ? 'warn' : 'error'](
        {
          method: req.method,
          path: req.path,
          status: http.status,
          err: { message, name: error instanceof Error ? error.name : typeof error },
        },
        'request failed',
      );
    }
    sendError(res, http);
  };
}

import { LanesError, type FieldIssue } from '@lanes/contracts';

/**
 * A failure that already knows its HTTP answer. Routes throw these (or Lanes errors the error
 * handler maps), so every error response has the same `{ error, fields? }` JSON shape.
 */
export class HttpError extends LanesError {
  readonly status: number;
  readonly fields: readonly FieldIssue[] | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    message: string,
    options: { fields?: readonly FieldIssue[]; headers?: Record<string, string>; code?: string } = {},
  ) {
    super(options.code ?? `HTTP_${status}`, message, { status });
    this.status = status;
    this.fields = options.fields;
    this.headers = options.headers ?? {};
  }
}

/** 400 naming each bad field, the answer to any request the API cannot accept as sent. */
export function badRequest(message: string, fields: readonly FieldIssue[]): HttpError {
  return new HttpError(400, message, { fields, code: 'BAD_REQUEST' });
}

export function notFound(message: string): HttpError {
  return new HttpError(404, message, { code: 'NOT_FOUND' });
}

/** The body every error answer carries. */
export interface ErrorBody {
  readonly error: string;
  readonly code: string;
  readonly fields?: readonly FieldIssue[];
}

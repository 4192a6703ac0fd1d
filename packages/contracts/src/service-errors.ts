import { LanesError } from './errors.ts';

/** The services Lanes depends on, as messages name them. */
export type ServiceName = 'Redis' | 'PostgreSQL';

/** The URL with any password replaced by `***`, safe to print and log (cluster URLs with several hosts too). */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#\s]*?:)[^/?#\s]*@/i, '$1***@');
}

/** System error codes of a failed connection, in the words a person reads. */
const CONNECTION_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'timed out',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed',
};

const MESSAGE_REASONS: ReadonlyArray<readonly [RegExp, string]> = [
  [/ECONNREFUSED/, 'connection refused'],
  [/ECONNRESET/, 'connection reset'],
  [/ETIMEDOUT|timeout expired|timed out/i, 'timed out'],
  [/ENOTFOUND|EAI_AGAIN/, 'host not found'],
  [/max retries per request/i, 'no answer after retries'],
  [/Connection is closed|Stream isn't writeable|Connection terminated/i, 'connection closed'],
  [/WRONGPASS|NOAUTH|password authentication failed|invalid username-password/i, 'authentication failed'],
  [/the database system is (starting up|shutting down)/i, 'server restarting'],
];

function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  for (let e: unknown = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    // AggregateError (a host with several addresses) carries the real causes in `errors`.
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner)) codes.push(...inner.flatMap(codesOf));
    e = (e as { cause?: unknown }).cause;
  }
  return codes;
}

/**
 * Why a connection failed, when the error is a connection failure (refused, reset, timed out,
 * unknown host, retries exhausted, closed, refused login); null for any other error.
 */
export function connectionFailureReason(error: unknown): string | null {
  if (error instanceof ServiceUnavailableError) return error.reason;
  for (const code of codesOf(error)) {
    const reason = CONNECTION_REASONS[code];
    if (reason !== undefined) return reason;
  }
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : '';
  for (const [pattern, reason] of MESSAGE_REASONS) if (pattern.test(message)) return reason;
  return null;
}

/** A dependency Lanes cannot reach: `cannot reach Redis at redis://127.0.0.1:6379 (connection refused)`. */
export class ServiceUnavailableError extends LanesError {
  readonly service: ServiceName;
  /** Redacted. */
  readonly url: string;
  readonly reason: string;
  constructor(service: ServiceName, url: string, reason: string, options?: ErrorOptions) {
    const safe = redactUrl(url);
    super('SERVICE_UNAVAILABLE', `cannot reach ${service} at ${safe} (${reason})`, { service, url: safe, reason }, options);
    this.service = service;
    this.url = safe;
    this.reason = reason;
  }
}

/**
 * The error as a ServiceUnavailableError when it is a connection failure; otherwise unchanged
 * (Lanes errors included).
 * `lastConnectionError` is what the connection itself reported (ioredis fails commands with a
 * generic "max retries" error; the refused connection or bad certificate is only in its events).
 */
export function asServiceError(service: ServiceName, url: string, error: unknown, lastConnectionError?: Error): unknown {
  // Lanes' own errors already say what failed (and their messages may quote anything).
  if (error instanceof LanesError) return error;
  const reason = connectionFailureReason(error);
  if (reason === null) return error;
  const underlying = lastConnectionError === undefined ? null : (connectionFailureReason(lastConnectionError) ?? lastConnectionError.message);
  return new ServiceUnavailableError(service, url, underlying ?? reason, { cause: error });
}

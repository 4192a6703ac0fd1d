import { LanesError } from './errors.ts';

/** The infrastructure Lanes stands on; an outage of either is nobody's job's fault. */
export const DEPENDENCIES = ['redis', 'postgres'] as const;
export type Dependency = (typeof DEPENDENCIES)[number];

/** What went wrong with the dependency: unreachable, too slow, out of memory, or not serving yet. */
export type FaultKind = 'connection' | 'timeout' | 'out-of-memory' | 'unavailable';

export interface InfrastructureFault {
  readonly dependency: Dependency;
  readonly kind: FaultKind;
  /** The dependency's own words (an error message), for logs and failed reasons. */
  readonly reason: string;
}

/** How messages name the dependencies. */
const DISPLAY_NAMES: Readonly<Record<Dependency, string>> = { redis: 'Redis', postgres: 'PostgreSQL' };

/** The URL with any password replaced by `***`, safe to print and log (cluster URLs with several hosts too). */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#\s]*?:)[^/?#\s]*@/i, '$1***@');
}

/** Where the dependency was sought, so the message can name it. */
export interface DependencyErrorContext {
  /** The dependency's URL; shown with its password masked. */
  readonly url?: string;
  /**
   * What the connection itself last reported while down. ioredis fails commands with a generic
   * "max retries" error; the refused connection or bad certificate is only in its events.
   */
  readonly lastConnectionError?: Error;
}

/** Socket and DNS error codes in a person's words. */
const SOCKET_WORDS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ECONNABORTED: 'connection aborted',
  EPIPE: 'connection closed',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  EHOSTDOWN: 'host down',
  ENETUNREACH: 'network unreachable',
  ENETDOWN: 'network down',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
};

function socketWords(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; typeof e === 'object' && e !== null && depth < 4; depth++) {
    const { code, message, errors } = e as ErrorShape;
    const words =
      (typeof code === 'string' ? SOCKET_WORDS[code] : undefined) ??
      (typeof message === 'string' ? Object.entries(SOCKET_WORDS).find(([c]) => message.includes(c))?.[1] : undefined);
    if (words !== undefined) return words;
    if (Array.isArray(errors)) {
      const inner = errors.map(socketWords).find((w) => w !== undefined);
      if (inner !== undefined) return inner;
    }
    e = (e as ErrorShape).cause;
  }
  return undefined;
}

/** Why the dependency could not be reached, in a few words: "connection refused", "timed out", a TLS complaint. */
function unreachableWords(fault: InfrastructureFault, error: unknown, last: Error | undefined): string {
  const seen = socketWords(last) ?? socketWords(error) ?? socketWords({ message: fault.reason });
  if (seen !== undefined) return seen;
  if (last !== undefined && last.message !== '') return last.message;
  if (fault.kind === 'timeout') return 'timed out';
  return /terminated|closed|writeable/i.test(fault.reason) ? 'connection lost' : fault.reason;
}

/**
 * Redis or PostgreSQL could not serve a request: the caller may try again once it is back.
 * Adapters wrap driver errors into this (see infrastructureFault), so the runtime can tell an
 * outage from a job's own failure without knowing any driver. Given the URL, an unreachable
 * dependency is named as a person reads it: `cannot reach Redis at redis://127.0.0.1:6379
 * (connection refused)`.
 */
export class DependencyUnavailableError extends LanesError {
  static readonly code = 'DEPENDENCY_UNAVAILABLE';
  constructor(fault: InfrastructureFault, options: ErrorOptions & DependencyErrorContext = {}) {
    const { url, lastConnectionError, ...errorOptions } = options;
    const unreachable = url !== undefined && (fault.kind === 'connection' || fault.kind === 'timeout');
    const message = unreachable
      ? `cannot reach ${DISPLAY_NAMES[fault.dependency]} at ${redactUrl(url)} (${unreachableWords(fault, errorOptions.cause, lastConnectionError)})`
      : `${fault.dependency} unavailable (${fault.kind}): ${fault.reason}`;
    super(
      DependencyUnavailableError.code,
      message,
      { ...fault, ...(url !== undefined && { url: redactUrl(url) }) },
      errorOptions,
    );
  }
  get fault(): InfrastructureFault {
    const { dependency, kind, reason } = this.context as unknown as InfrastructureFault;
    return { dependency, kind, reason };
  }
}

/** Node's socket and DNS error codes: the peer is unreachable or went away. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Redis error replies that mean "not now", by their first word. */
const REDIS_REPLY_KINDS: Readonly<Record<string, FaultKind>> = {
  OOM: 'out-of-memory',
  LOADING: 'unavailable',
  READONLY: 'unavailable',
  MASTERDOWN: 'unavailable',
  CLUSTERDOWN: 'unavailable',
  TRYAGAIN: 'unavailable',
  BUSY: 'unavailable',
  NOREPLICAS: 'unavailable',
};

/** ioredis' own errors for a connection that is gone or a command that gave up. */
const IOREDIS_CONNECTION =
  /^(Connection is closed\.?|Stream isn't writeable|Reached the max retries per request limit|Failed to refresh slots cache|None of startup nodes is available)/;

/**
 * PostgreSQL SQLSTATEs of an outage: class 08 (connection exception), class 53 (insufficient
 * resources: out of memory, disk full, too many connections), 57P01-57P05 (shutdown, crash,
 * starting up, idle-session timeout), 58000/58030 (system and I/O errors).
 */
function postgresKind(sqlstate: string): FaultKind | undefined {
  if (sqlstate.startsWith('08')) return 'connection';
  if (sqlstate === '53200') return 'out-of-memory';
  if (sqlstate.startsWith('53')) return 'unavailable';
  if (/^57P0[1-5]$/.test(sqlstate)) return 'unavailable';
  if (sqlstate === '58000' || sqlstate === '58030') return 'unavailable';
  return undefined;
}

/** node-postgres' messages for a lost or never-made connection (they carry no code). */
const PG_CONNECTION =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection terminated due to connection timeout|Query read timeout)/;

interface ErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly severity?: unknown;
  readonly cause?: unknown;
  readonly errors?: unknown;
  readonly previousErrors?: unknown;
  readonly fault?: unknown;
}

function classifyOne(error: ErrorShape, hint: Dependency | undefined): InfrastructureFault | undefined {
  const message = typeof error.message === 'string' ? error.message : '';
  const code = typeof error.code === 'string' ? error.code : '';
  if (code === 'DEPENDENCY_UNAVAILABLE' && typeof error.fault === 'object' && error.fault !== null)
    return error.fault as InfrastructureFault;
  // Driver shapes name their own dependency.
  if (error.name === 'ReplyError') {
    // A MULTI whose queued commands were refused (OOM) aborts as a whole; ioredis keeps the refusals.
    if (message.startsWith('EXECABORT') && Array.isArray(error.previousErrors))
      return firstFault(error.previousErrors, hint);
    const kind = REDIS_REPLY_KINDS[message.split(/\s/, 1)[0] ?? ''];
    return kind === undefined ? undefined : { dependency: 'redis', kind, reason: message };
  }
  if (
    error.name === 'MaxRetriesPerRequestError' ||
    error.name === 'ClusterAllFailedError' ||
    IOREDIS_CONNECTION.test(message)
  ) {
    return { dependency: 'redis', kind: 'connection', reason: message };
  }
  if (message === 'Command timed out') return { dependency: 'redis', kind: 'timeout', reason: message };
  if (typeof error.severity === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    const kind = postgresKind(code);
    return kind === undefined ? undefined : { dependency: 'postgres', kind, reason: message };
  }
  // Bare socket errors and pg's connection messages say nothing of whose socket it was.
  if (hint === undefined) return undefined;
  if (SOCKET_CODES.has(code))
    return { dependency: hint, kind: code === 'ETIMEDOUT' ? 'timeout' : 'connection', reason: message || code };
  if (hint === 'postgres' && PG_CONNECTION.test(message))
    return { dependency: hint, kind: /timeout/i.test(message) ? 'timeout' : 'connection', reason: message };
  // AggregateError: one connection attempt per address (IPv4 and IPv6 of localhost).
  return Array.isArray(error.errors) ? firstFault(error.errors, hint) : undefined;
}

function firstFault(errors: readonly unknown[], hint: Dependency | undefined): InfrastructureFault | undefined {
  for (const inner of errors) {
    if (typeof inner !== 'object' || inner === null) continue;
    const fault = classifyOne(inner as ErrorShape, hint);
    if (fault !== undefined) return fault;
  }
  return undefined;
}

/**
 * The one classifier of infrastructure faults: an error (or one of its causes) from Redis or
 * PostgreSQL that says the dependency is down, slow or out of memory, rather than that the
 * request was wrong. `hint` names the dependency behind bare socket errors (ECONNREFUSED
 * carries no clue whose socket it was); without it only driver-specific shapes count, so an
 * HTTP API's reset connection is never mistaken for a database outage.
 */
export function infrastructureFault(error: unknown, hint?: Dependency): InfrastructureFault | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const fault = classifyOne(current as ErrorShape, hint);
    if (fault !== undefined) return fault;
    current = (current as ErrorShape).cause;
  }
  return undefined;
}

/**
 * `error` as a DependencyUnavailableError when it is an outage of `dependency`, else unchanged.
 * With `context.url`, an unreachable dependency is named with its (masked) URL.
 */
export function asDependencyError(
  error: unknown,
  dependency: Dependency,
  context: DependencyErrorContext = {},
): unknown {
  if (error instanceof DependencyUnavailableError) return error;
  const fault = infrastructureFault(error, dependency);
  return fault === undefined ? error : new DependencyUnavailableError(fault, { cause: error, ...context });
}

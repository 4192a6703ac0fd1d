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

/**
 * Redis or PostgreSQL could not serve a request: the caller may try again once it is back.
 * Adapters wrap driver errors into this (see infrastructureFault), so the runtime can tell an
 * outage from a job's own failure without knowing any driver.
 */
export class DependencyUnavailableError extends LanesError {
  readonly fault: InfrastructureFault;
  constructor(fault: InfrastructureFault, options?: ErrorOptions) {
    super('DEPENDENCY_UNAVAILABLE', `${fault.dependency} unavailable (${fault.kind}): ${fault.reason}`, { ...fault }, options);
    this.fault = fault;
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
const IOREDIS_CONNECTION = /^(Connection is closed\.?|Stream isn't writeable|Reached the max retries per request limit|Failed to refresh slots cache|None of startup nodes is available)/;

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
const PG_CONNECTION = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection terminated due to connection timeout|Query read timeout)/;

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
  if (code === 'DEPENDENCY_UNAVAILABLE' && typeof error.fault === 'object' && error.fault !== null) return error.fault as InfrastructureFault;
  // Driver shapes name their own dependency.
  if (error.name === 'ReplyError') {
    // A MULTI whose queued commands were refused (OOM) aborts as a whole; ioredis keeps the refusals.
    if (message.startsWith('EXECABORT') && Array.isArray(error.previousErrors)) return firstFault(error.previousErrors, hint);
    const kind = REDIS_REPLY_KINDS[message.split(/\s/, 1)[0] ?? ''];
    return kind === undefined ? undefined : { dependency: 'redis', kind, reason: message };
  }
  if (error.name === 'MaxRetriesPerRequestError' || error.name === 'ClusterAllFailedError' || IOREDIS_CONNECTION.test(message)) {
    return { dependency: 'redis', kind: 'connection', reason: message };
  }
  if (message === 'Command timed out') return { dependency: 'redis', kind: 'timeout', reason: message };
  if (typeof error.severity === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    const kind = postgresKind(code);
    return kind === undefined ? undefined : { dependency: 'postgres', kind, reason: message };
  }
  // Bare socket errors and pg's connection messages say nothing of whose socket it was.
  if (hint === undefined) return undefined;
  if (SOCKET_CODES.has(code)) return { dependency: hint, kind: code === 'ETIMEDOUT' ? 'timeout' : 'connection', reason: message || code };
  if (hint === 'postgres' && PG_CONNECTION.test(message)) return { dependency: hint, kind: /timeout/i.test(message) ? 'timeout' : 'connection', reason: message };
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

/** `error` as a DependencyUnavailableError when it is an outage of `dependency`, else unchanged. */
export function asDependencyError(error: unknown, dependency: Dependency): unknown {
  if (error instanceof DependencyUnavailableError) return error;
  const fault = infrastructureFault(error, dependency);
  return fault === undefined ? error : new DependencyUnavailableError(fault, { cause: error });
}

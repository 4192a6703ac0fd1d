import { ConfigError, DEFAULT_REDIS_URL, registerSecretsFrom } from '@lanes/contracts';
import { DEFAULT_OUTCOME_TTL_MS, DEFAULT_TENANT_WINDOW, isClusterUrl, parseClusterUrl } from '@lanes/queue';
import { DEFAULT_OUTAGE_POLICY, type OutagePolicy } from '../runtime/outage.ts';
import { envDurationMs, envEnum, envInt, envString, envUrl, type Env } from './env.ts';

export const TRACING_MODES = ['off', 'otel'] as const;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What the runtime needs from the environment (CONTRACT.md, plus runtime tuning). */
export interface RuntimeConfig {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly logLevel: LogLevel;
  /** How long SIGTERM waits for in-flight jobs before handing them back to the lane. */
  readonly drainTimeoutMs: number;
  /** A job whose worker stops renewing its lock for this long is recovered by another worker. */
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  /** Liveness fails when work waits, slots are free, and no job was taken for this long. */
  readonly livenessWindowMs: number;
  /**
   * How often a job may lose its worker (crash, kill) and be recovered before it is failed as
   * a likely poison pill that takes workers down with it.
   */
  readonly maxStalledCount: number;
  /** Jobs wait out Redis and PostgreSQL outages within this budget, backing off between tries. */
  readonly outage: OutagePolicy;
  /** How long a finished job's outcome is kept apart from its record, for waits after retention trimmed it. */
  readonly outcomeTtlMs: number;
  /** LANES_TRACING=otel turns on OpenTelemetry spans for enqueue and processing. */
  readonly tracing: (typeof TRACING_MODES)[number];
  /** Ready tenant jobs a lane holds before further ones wait for their tenant's turn (fair share). */
  readonly tenantWindow: number;
  /** Jobs of one tenant running at once across all workers; 0 for no limit. */
  readonly tenantConcurrency: number;
}

/**
 * REDIS_URL: `redis://` or `rediss://` for one server, or `redis+cluster://host:port,host:port`
 * (`rediss+cluster://` with TLS) for a Redis Cluster; see parseClusterUrl in @lanes/client.
 */
function readRedisUrl(env: Env): string {
  const raw = envString(env, 'REDIS_URL', DEFAULT_REDIS_URL);
  if (!isClusterUrl(raw))
    return envUrl(env, 'REDIS_URL', ['redis:', 'rediss:', 'redis+cluster:', 'rediss+cluster:'], DEFAULT_REDIS_URL);
  try {
    parseClusterUrl(raw);
  } catch (error) {
    throw new ConfigError('REDIS_URL', error instanceof Error ? error.message : 'is not a valid cluster URL');
  }
  return raw;
}

function readOutagePolicy(env: Env): OutagePolicy {
  const defaults = DEFAULT_OUTAGE_POLICY;
  const backoffMs = envDurationMs(env, 'LANES_OUTAGE_BACKOFF_MS', defaults.backoffMs, { min: 10 });
  return {
    budgetMs: envDurationMs(env, 'LANES_OUTAGE_BUDGET_MS', defaults.budgetMs, { min: 0 }),
    backoffMs,
    backoffMaxMs: envDurationMs(env, 'LANES_OUTAGE_BACKOFF_MAX_MS', Math.max(backoffMs, defaults.backoffMaxMs), {
      min: backoffMs,
    }),
  };
}

export function loadRuntimeConfig(env: Env = process.env): RuntimeConfig {
  // Every later message, log line and failed reason of this process masks them.
  registerSecretsFrom(env);
  const prefix = envString(env, 'LANES_PREFIX', 'lanes');
  if (!/^\{?[A-Za-z0-9_.-]+\}?$/.test(prefix)) {
    throw new ConfigError('LANES_PREFIX', 'must be letters, digits, "_", "." or "-"');
  }
  const lockDurationMs = envDurationMs(env, 'LANES_LOCK_DURATION_MS', 30_000, { min: 1000 });
  return {
    redisUrl: readRedisUrl(env),
    prefix,
    logLevel: envEnum(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    drainTimeoutMs: envDurationMs(env, 'LANES_DRAIN_TIMEOUT_MS', 30_000, { min: 0 }),
    lockDurationMs,
    stalledIntervalMs: envDurationMs(env, 'LANES_STALLED_INTERVAL_MS', Math.round(lockDurationMs / 2), { min: 500 }),
    livenessWindowMs: envDurationMs(env, 'LANES_LIVENESS_WINDOW_MS', 60_000, { min: 1000 }),
    maxStalledCount: envInt(env, 'LANES_MAX_STALLED_COUNT', 5, { min: 1 }),
    outage: readOutagePolicy(env),
    outcomeTtlMs: envDurationMs(env, 'LANES_OUTCOME_TTL_MS', DEFAULT_OUTCOME_TTL_MS, { min: 1000 }),
    tracing: envEnum(env, 'LANES_TRACING', TRACING_MODES, 'off'),
    tenantWindow: envInt(env, 'LANES_TENANT_WINDOW', DEFAULT_TENANT_WINDOW, { min: 1 }),
    tenantConcurrency: envInt(env, 'LANES_TENANT_CONCURRENCY', 0, { min: 0 }),
  };
}

import type { Dependency, InfrastructureFault } from '@lanes/contracts';

/** How jobs ride out an outage of Redis or PostgreSQL (RuntimeConfig.outage). */
export interface OutagePolicy {
  /** A job whose dependency stays unavailable this long fails, naming it. */
  readonly budgetMs: number;
  /** First back-off; doubles per fault of the same outage up to `backoffMaxMs`. */
  readonly backoffMs: number;
  readonly backoffMaxMs: number;
}

/** Half an hour of outage before a job gives up; a first retry after about a second, then at most every 30 s. */
export const DEFAULT_OUTAGE_POLICY: OutagePolicy = { budgetMs: 30 * 60_000, backoffMs: 1000, backoffMaxMs: 30_000 };

/** Reserved job-data key: the outage a postponed job is waiting out, kept across workers. */
export const OUTAGE_KEY = '__lanesOutage';

export interface OutageRecord {
  readonly dependency: Dependency;
  /** When the job first found the dependency unavailable (ms since epoch). */
  readonly since: number;
  /** The latest fault. */
  readonly last: number;
  readonly faults: number;
}

/**
 * A job postponed by an outage normally runs again within its back-off; one that waited in a
 * backlog for longer than this after it is treated as meeting a new outage (the lenient side:
 * the budget never fails a job that may have seen its dependency come back).
 */
const CONTINUITY_SLACK_MS = 60_000;

export function outageOf(data: unknown): OutageRecord | undefined {
  if (typeof data !== 'object' || data === null || !(OUTAGE_KEY in data)) return undefined;
  return (data as Record<string, unknown>)[OUTAGE_KEY] as OutageRecord;
}

/** The outage this fault belongs to: the job's ongoing one, or a new one starting now. */
export function continueOutage(
  previous: OutageRecord | undefined,
  fault: InfrastructureFault,
  now: number,
  policy: OutagePolicy,
): OutageRecord {
  const ongoing =
    previous !== undefined &&
    previous.dependency === fault.dependency &&
    now - previous.last <= policy.backoffMaxMs + CONTINUITY_SLACK_MS;
  return ongoing
    ? { ...previous, last: now, faults: previous.faults + 1 }
    : { dependency: fault.dependency, since: now, last: now, faults: 1 };
}

/** Capped exponential back-off with jitter (half fixed, half random), so postponed jobs do not return in lockstep. */
export function outageDelayMs(faults: number, policy: OutagePolicy): number {
  const ceiling = Math.min(policy.backoffMaxMs, policy.backoffMs * 2 ** Math.min(30, Math.max(0, faults - 1)));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/** `data` with the outage recorded; undefined when data is not an object (nothing to record it in). */
export function withOutage(data: unknown, record: OutageRecord): Record<string, unknown> | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  return { ...(data as Record<string, unknown>), [OUTAGE_KEY]: record };
}

export function describeDuration(ms: number): string {
  if (ms < 10_000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

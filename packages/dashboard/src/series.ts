import type { Metrics, Queue } from 'bullmq';
import { LANES, type Lane } from '@lanes/contracts';
import type { LanesClient } from '@lanes/client';
import { readAllLaneDepths } from '@lanes/worker-core';
import { redisOf } from './lane-redis.ts';

const MINUTE_MS = 60_000;
const DAY_MINUTES = 24 * 60;

/** The charts' time ranges: one point per minute for the hour, per 15 minutes for the day. */
export const SERIES_RANGES = {
  hour: { minutes: 60, stepMinutes: 1 },
  day: { minutes: DAY_MINUTES, stepMinutes: 15 },
} as const;
export type SeriesRange = keyof typeof SERIES_RANGES;

/** Embedding usage per UTC day, as @lanes/tasks keeps it in Redis (EmbeddingUsage). */
export interface UsageSource {
  daily(
    days: number,
  ): Promise<ReadonlyArray<{ readonly day: string; readonly tokens: number; readonly costUsd: number }>>;
}

export interface LaneSeries {
  /** waiting + prioritized + delayed, the latest sample of each step (null: no sample). */
  readonly backlog: ReadonlyArray<number | null>;
  readonly completed: readonly number[];
  readonly failed: readonly number[];
}

export interface OverviewSeries {
  readonly range: SeriesRange;
  readonly stepSeconds: number;
  /** Start of each step, Unix seconds, oldest first. */
  readonly t: readonly number[];
  readonly lanes: Readonly<Record<Lane, LaneSeries>>;
  /** False when no worker records BullMQ's metrics (throughput is then all zeros). */
  readonly throughputRecorded: boolean;
  /** Null when the dashboard has no usage source (no built-in tasks). */
  readonly embeddings: {
    readonly days: readonly string[];
    readonly tokens: readonly number[];
    readonly costUsd: readonly number[];
  } | null;
}

function backlogKey(client: LanesClient, lane: Lane): string {
  return `${client.prefix}:dashboard:backlog:${lane}`;
}

/**
 * Records each lane's backlog for the current minute in Redis (a sorted set per lane scored by
 * minute, a day kept), so the backlog chart spans dashboard restarts and every dashboard
 * process adds to the same history. Idempotent within a minute: the last sample wins.
 */
export async function sampleBacklog(client: LanesClient, now = Date.now()): Promise<void> {
  const minute = Math.floor(now / MINUTE_MS);
  const depths = await readAllLaneDepths((lane) => client.queues.get(lane));
  const redis = await redisOf(client.queues.get(LANES[0]));
  await Promise.all(
    depths.map(async ({ lane, backlog }) => {
      const key = backlogKey(client, lane);
      await redis.zremrangebyscore(key, minute, minute);
      await redis.zadd(key, minute, `${minute}:${backlog}`);
      await redis.zremrangebyscore(key, '-inf', minute - DAY_MINUTES - 1);
    }),
  );
}

/** Per-minute counts BullMQ recorded: the pending count sits in prevTS's minute, data[i] is the minute i + 1 before it (see countInWindow). */
function perMinute(metrics: Metrics): Map<number, number> {
  const counts = new Map<number, number>();
  if (!(metrics.meta.prevTS > 0)) return counts;
  const newest = Math.floor(metrics.meta.prevTS / MINUTE_MS);
  counts.set(newest, metrics.meta.count - metrics.meta.prevCount);
  metrics.data.forEach((value, i) => {
    counts.set(newest - (i + 1), Number.isFinite(value) ? value : 0);
  });
  return counts;
}

function stepsOf(range: SeriesRange, now: number): number[] {
  const { minutes, stepMinutes } = SERIES_RANGES[range];
  const end = Math.floor(now / MINUTE_MS / stepMinutes) * stepMinutes;
  const count = minutes / stepMinutes;
  return Array.from({ length: count }, (_, i) => end - (count - 1 - i) * stepMinutes);
}

function bucketSums(counts: Map<number, number>, steps: readonly number[], stepMinutes: number): number[] {
  return steps.map((start) => {
    let sum = 0;
    for (let m = start; m < start + stepMinutes; m++) sum += counts.get(m) ?? 0;
    return sum;
  });
}

async function backlogSeries(
  client: LanesClient,
  lane: Lane,
  steps: readonly number[],
  stepMinutes: number,
): Promise<Array<number | null>> {
  const redis = await redisOf(client.queues.get(lane));
  const members = await redis.zrangebyscore(backlogKey(client, lane), steps[0]!, steps.at(-1)! + stepMinutes - 1);
  const latest = new Map<number, number>();
  for (const member of members) {
    const [minute, value] = member.split(':').map(Number);
    const step = steps[0]! + Math.floor((minute! - steps[0]!) / stepMinutes) * stepMinutes;
    latest.set(step, value!);
  }
  return steps.map((step) => latest.get(step) ?? null);
}

async function laneSeries(
  client: LanesClient,
  lane: Lane,
  steps: readonly number[],
  stepMinutes: number,
): Promise<LaneSeries & { recorded: boolean }> {
  const queue: Queue = client.queues.get(lane);
  const points = steps.at(-1)! + stepMinutes - steps[0]! + 1;
  const [completed, failed, backlog] = await Promise.all([
    queue.getMetrics('completed', 0, points),
    queue.getMetrics('failed', 0, points),
    backlogSeries(client, lane, steps, stepMinutes),
  ]);
  return {
    backlog,
    completed: bucketSums(perMinute(completed), steps, stepMinutes),
    failed: bucketSums(perMinute(failed), steps, stepMinutes),
    recorded: completed.meta.count > 0 || failed.meta.count > 0,
  };
}

/** Everything the overview's charts draw, for one range. */
export async function readSeries(
  client: LanesClient,
  range: SeriesRange,
  usage: UsageSource | undefined,
  now = Date.now(),
): Promise<OverviewSeries> {
  const { stepMinutes } = SERIES_RANGES[range];
  const steps = stepsOf(range, now);
  const [rows, daily] = await Promise.all([
    Promise.all(LANES.map((lane) => laneSeries(client, lane, steps, stepMinutes))),
    usage?.daily(14),
  ]);
  const lanes = Object.fromEntries(
    LANES.map((lane, i) => [
      lane,
      { backlog: rows[i]!.backlog, completed: rows[i]!.completed, failed: rows[i]!.failed },
    ]),
  ) as Record<Lane, LaneSeries>;
  return {
    range,
    stepSeconds: stepMinutes * 60,
    t: steps.map((minute) => minute * 60),
    lanes,
    throughputRecorded: rows.some((row) => row.recorded),
    embeddings:
      daily === undefined
        ? null
        : { days: daily.map((d) => d.day), tokens: daily.map((d) => d.tokens), costUsd: daily.map((d) => d.costUsd) },
  };
}

import type { Metrics, Queue } from 'bullmq';
import { LANES, type Lane } from '@lanes/contracts';
import { DEFAULT_REMOVE_ON_COMPLETE, DEFAULT_REMOVE_ON_FAIL } from '@lanes/queue';
import type { LanesClient } from '@lanes/client';
import { EMBEDDING_METRIC_NAMES } from '@lanes/tasks';
import { readAllLaneDepths, type LaneDepth, type LanesMetrics } from '@lanes/worker-core';
import { redisOf } from './lane-redis.ts';

/** Minutes over which throughput and failure rate are computed. */
export const THROUGHPUT_WINDOW_MINUTES = 15;

export interface LaneRow {
  readonly lane: Lane;
  readonly waiting: number;
  readonly prioritized: number;
  readonly delayed: number;
  readonly active: number;
  readonly waitingChildren: number;
  readonly failed: number;
  readonly completed: number;
  /** waiting + prioritized + delayed. */
  readonly backlog: number;
}

export interface ThroughputRow {
  readonly lane: Lane;
  readonly completed: number;
  readonly failed: number;
  readonly perMinute: number;
  /** failed / (completed + failed); null when nothing finished in the window. */
  readonly failureRate: number | null;
  /** True when retention trimming may have dropped finished jobs of the window (counts are then minimums). */
  readonly lowerBound: boolean;
}

/**
 * `bullmq-metrics`: per-minute counts BullMQ records when workers enable metrics (exact).
 * `finished-sets`: jobs in the completed and failed sets whose finish time lies in the window
 * (exact while retention keeps them; flagged `lowerBound` otherwise).
 */
export type ThroughputSource = 'bullmq-metrics' | 'finished-sets';

export interface TaskRow {
  readonly task: string;
  readonly lane: string;
  readonly completed: number;
  readonly failed: number;
  readonly retried: number;
}

export interface EmbeddingStats {
  /** `registry`: counters of this process; `none`: no embedding metrics recorded here. */
  readonly source: 'registry' | 'none';
  readonly cacheHits: number;
  readonly cacheMisses: number;
  readonly hitRate: number | null;
  readonly tokens: number;
  readonly costUsd: number;
  readonly batches: number;
}

export interface Overview {
  readonly generatedAt: string;
  readonly prefix: string;
  readonly lanes: readonly LaneRow[];
  readonly totals: { readonly backlog: number; readonly active: number; readonly failed: number };
  readonly throughput: {
    readonly windowMinutes: number;
    readonly source: ThroughputSource;
    readonly lanes: readonly ThroughputRow[];
    readonly completed: number;
    readonly failed: number;
    readonly perMinute: number;
    readonly failureRate: number | null;
  };
  /** Attempt outcomes by task since this process started (in-process workers only). */
  readonly tasks: readonly TaskRow[];
  readonly embeddings: EmbeddingStats;
}

function laneRow(depth: LaneDepth): LaneRow {
  const c = depth.counts;
  return {
    lane: depth.lane,
    waiting: c.waiting,
    prioritized: c.prioritized,
    delayed: c.delayed,
    active: c.active,
    waitingChildren: c['waiting-children'],
    failed: c.failed,
    completed: c.completed,
    backlog: depth.backlog,
  };
}

function rate(failed: number, completed: number): number | null {
  return failed + completed === 0 ? null : failed / (failed + completed);
}

/**
 * Jobs counted by BullMQ's metrics in the `minutes` ending at `now`. BullMQ flushes a
 * per-minute data point only when a job finishes in a later minute, so the newest minute's
 * count is still pending in meta (count - prevCount, all in prevTS's minute), and data[i]
 * is the minute i + 1 before that one. An idle lane's data is therefore aligned to prevTS,
 * not to now, which is why the window is placed from the timestamps rather than by index.
 */
export function countInWindow(metrics: Metrics, now: number, minutes: number): number {
  if (!(metrics.meta.prevTS > 0)) return 0;
  const age = Math.floor(now / 60_000) - Math.floor(metrics.meta.prevTS / 60_000);
  const pending = age >= 0 && age < minutes ? metrics.meta.count - metrics.meta.prevCount : 0;
  const points = metrics.data.slice(0, Math.max(0, minutes - age - 1));
  return pending + points.reduce((sum, value) => sum + (Number.isFinite(value) ? value : 0), 0);
}

function throughputRow(
  lane: Lane,
  completed: number,
  failed: number,
  minutes: number,
  lowerBound: boolean,
): ThroughputRow {
  return {
    lane,
    completed,
    failed,
    perMinute: (completed + failed) / minutes,
    failureRate: rate(failed, completed),
    lowerBound,
  };
}

/** From BullMQ's per-minute metrics; null when no worker records them for this lane. */
async function fromBullMetrics(lane: Lane, queue: Queue, minutes: number, now: number): Promise<ThroughputRow | null> {
  const [completed, failed] = await Promise.all([
    queue.getMetrics('completed', 0, minutes - 1),
    queue.getMetrics('failed', 0, minutes - 1),
  ]);
  if (completed.meta.count === 0 && failed.meta.count === 0) return null;
  return throughputRow(
    lane,
    countInWindow(completed, now, minutes),
    countInWindow(failed, now, minutes),
    minutes,
    false,
  );
}

/** The count cap of a retention policy (the client's defaults are what jobs are enqueued with). */
function retentionCap(keep: { count?: number }): number {
  return keep.count ?? Number.POSITIVE_INFINITY;
}

/** From the finished sets, scored by finish time: one ZCOUNT per set, no job is read. */
async function fromFinishedSets(lane: Lane, queue: Queue, minutes: number, now: number): Promise<ThroughputRow> {
  const redis = await redisOf(queue);
  const since = now - minutes * 60_000;
  const [done, bad, keptDone, keptBad] = await Promise.all([
    redis.zcount(queue.keys.completed!, since, '+inf'),
    redis.zcount(queue.keys.failed!, since, '+inf'),
    redis.zcard(queue.keys.completed!),
    redis.zcard(queue.keys.failed!),
  ]);
  // Retention trims a set to its count cap; when the set is full and every kept job finished
  // inside the window, trimmed ones may have too, so the counts are minimums.
  const lowerBound =
    (done === keptDone && keptDone >= retentionCap(DEFAULT_REMOVE_ON_COMPLETE)) ||
    (bad === keptBad && keptBad >= retentionCap(DEFAULT_REMOVE_ON_FAIL));
  return throughputRow(lane, done, bad, minutes, lowerBound);
}

interface Sample {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/**
 * A family of the process's registry. Workers and the embedding layer record them; they are
 * present when those run in this process (e.g. `npm run demo`).
 */
async function samples(metrics: LanesMetrics, name: string): Promise<Sample[] | null> {
  const metric = metrics.registry.getSingleMetric(name);
  return metric === undefined ? null : samplesOf(metric);
}

async function samplesOf(metric: Pick<LanesMetrics['jobs'], 'get'>): Promise<Sample[]> {
  const value = await metric.get();
  return value.values.map((entry) => ({
    labels: { ...entry.labels } as Record<string, string | number>,
    value: entry.value,
  }));
}

function total(list: readonly Sample[] | null): number {
  return (list ?? []).reduce((sum, sample) => sum + sample.value, 0);
}

async function taskRows(metrics: LanesMetrics): Promise<TaskRow[]> {
  const rows = new Map<string, { task: string; lane: string; completed: number; failed: number; retried: number }>();
  for (const sample of await samplesOf(metrics.jobs)) {
    const task = String(sample.labels.task ?? '');
    const lane = String(sample.labels.lane ?? '');
    const key = `${task}\0${lane}`;
    const row = rows.get(key) ?? { task, lane, completed: 0, failed: 0, retried: 0 };
    const outcome = String(sample.labels.outcome ?? '');
    if (outcome === 'completed' || outcome === 'failed' || outcome === 'retried') row[outcome] += sample.value;
    rows.set(key, row);
  }
  return [...rows.values()].sort((a, b) => a.task.localeCompare(b.task) || a.lane.localeCompare(b.lane));
}

async function embeddingStats(metrics: LanesMetrics): Promise<EmbeddingStats> {
  const names = EMBEDDING_METRIC_NAMES;
  const [hits, misses, tokens, cost, batches] = await Promise.all(
    [names.cacheHits, names.cacheMisses, names.tokens, names.cost, names.batches].map((name) => samples(metrics, name)),
  );
  const present = [hits, misses, tokens, cost, batches].some((list) => list !== null);
  const cacheHits = total(hits ?? null);
  const cacheMisses = total(misses ?? null);
  return {
    source: present ? 'registry' : 'none',
    cacheHits,
    cacheMisses,
    hitRate: cacheHits + cacheMisses === 0 ? null : cacheHits / (cacheHits + cacheMisses),
    tokens: total(tokens ?? null),
    costUsd: total(cost ?? null),
    batches: total(batches ?? null),
  };
}

/** Everything the overview page shows, read from Redis (depths, throughput) and the registry. */
export async function readOverview(client: LanesClient, metrics: LanesMetrics, now = Date.now()): Promise<Overview> {
  const queueFor = (lane: Lane): Queue => client.queues.get(lane);
  const minutes = THROUGHPUT_WINDOW_MINUTES;
  const [depths, bull, tasks, embeddings] = await Promise.all([
    readAllLaneDepths(queueFor),
    Promise.all(LANES.map((lane) => fromBullMetrics(lane, queueFor(lane), minutes, now))),
    taskRows(metrics),
    embeddingStats(metrics),
  ]);
  // One source for all lanes, so the rows add up; BullMQ's when any lane has it.
  const useBull = bull.some((row) => row !== null);
  const rows = useBull
    ? bull.map(
        (row, i) =>
          row ?? { lane: LANES[i]!, completed: 0, failed: 0, perMinute: 0, failureRate: null, lowerBound: false },
      )
    : await Promise.all(LANES.map((lane) => fromFinishedSets(lane, queueFor(lane), minutes, now)));
  const lanes = depths.map(laneRow);
  const completed = rows.reduce((sum, row) => sum + row.completed, 0);
  const failed = rows.reduce((sum, row) => sum + row.failed, 0);
  return {
    generatedAt: new Date(now).toISOString(),
    prefix: client.prefix,
    lanes,
    totals: {
      backlog: lanes.reduce((sum, row) => sum + row.backlog, 0),
      active: lanes.reduce((sum, row) => sum + row.active + row.waitingChildren, 0),
      failed: lanes.reduce((sum, row) => sum + row.failed, 0),
    },
    throughput: {
      windowMinutes: minutes,
      source: useBull ? 'bullmq-metrics' : 'finished-sets',
      lanes: rows,
      completed,
      failed,
      perMinute: (completed + failed) / minutes,
      failureRate: rate(failed, completed),
    },
    tasks,
    embeddings,
  };
}

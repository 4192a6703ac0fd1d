// Shared set-up for the dashboard tests: a dashboard on a free port over a key prefix of its
// own (so test files never see each other's jobs), and teardown that removes those keys.
import { randomBytes } from 'node:crypto';
import { MetricsTime, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { LANES, type Lane } from '@lanes/contracts';
import { createBlockingConnection } from '@lanes/queue';
import { LanesClient } from '@lanes/client';
import { createLogger, LanesMetrics } from '@lanes/worker-core';
import { startDashboard, type RunningDashboard, type StartDashboardOptions } from '@lanes/dashboard';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestDashboard extends RunningDashboard {
  readonly client: LanesClient;
  readonly metrics: LanesMetrics;
  /** Stops the server, deletes the prefix's queues and backlog history, and closes the client. */
  stop(): Promise<void>;
}

export function testPrefix(label: string): string {
  return `t-dash-${label}-${randomBytes(4).toString('hex')}`;
}

export async function startTestDashboard(
  label: string,
  options: Omit<StartDashboardOptions, 'client' | 'config'> = {},
): Promise<TestDashboard> {
  const prefix = testPrefix(label);
  const client = new LanesClient({ redisUrl: REDIS_URL, prefix });
  const metrics = options.metrics ?? new LanesMetrics();
  const logger = createLogger((process.env.TEST_LOG_LEVEL as 'silent' | undefined) ?? 'silent', {
    component: 'dashboard-test',
  });
  const running = await startDashboard({
    logger,
    ...options,
    metrics,
    client,
    config: { redisUrl: REDIS_URL, prefix },
    port: 0,
    host: '127.0.0.1',
  });
  return {
    ...running,
    client,
    metrics,
    async stop() {
      await running.close();
      await Promise.all(LANES.map((lane) => client.queues.get(lane).obliterate({ force: true })));
      // The backlog history the dashboard samples lives beside the queues.
      const redis = new Redis(REDIS_URL);
      await redis.del(...LANES.map((lane) => `${client.prefix}:dashboard:backlog:${lane}`));
      redis.disconnect();
      await client.close();
    },
  };
}

/** A route's answer with its parsed JSON body. */
// biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON a route answers, field by field
export type RouteReply = { status: number; headers: Headers; body: any };

/** fetch() plus the parsed JSON body. */
export async function call(url: string, init: RequestInit = {}): Promise<RouteReply> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body };
}

export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<RouteReply> {
  return call(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/**
 * A plain BullMQ worker on one lane of the dashboard's prefix: jobs whose data has `fail`
 * throw that message, the rest complete. Resolves once `count` jobs have finished. With
 * `collectMetrics`, it records BullMQ's per-minute metrics as a worker with that option does.
 */
export async function processJobs(
  client: LanesClient,
  lane: Lane,
  count: number,
  options: { collectMetrics?: boolean } = {},
): Promise<void> {
  const connection = createBlockingConnection(REDIS_URL);
  let finished = 0;
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  const worker = new Worker(
    lane,
    async (job: Job) => {
      const fail = (job.data as { fail?: string }).fail;
      if (fail !== undefined) throw new Error(fail);
      return { ok: true };
    },
    {
      connection,
      prefix: client.prefix,
      ...(options.collectMetrics === true && { metrics: { maxDataPoints: MetricsTime.ONE_WEEK } }),
    },
  );
  const onFinish = (): void => {
    finished += 1;
    if (finished >= count) done();
  };
  worker.on('completed', onFinish);
  worker.on('failed', onFinish);
  try {
    await all;
  } finally {
    await worker.close();
    connection.disconnect();
  }
}

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { countInWindow } from '../../packages/dashboard/src/overview.ts';
import { call, postJson, processJobs, startTestDashboard, type TestDashboard } from './harness.ts';

function findPromtool(): string | undefined {
  for (const candidate of [process.env.PROMTOOL, '/usr/bin/promtool', '/usr/local/bin/promtool']) {
    if (candidate !== undefined && existsSync(candidate)) return candidate;
  }
  const which = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : undefined;
}

/** Every value of one label in the exposition, to check cardinality. */
function labelValues(text: string, label: string): Set<string> {
  return new Set([...text.matchAll(new RegExp(`[{,]${label}="([^"]*)"`, 'g'))].map((m) => m[1]!));
}

function sampleValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('dashboard /metrics', () => {
  let d: TestDashboard;

  before(async () => {
    // The dashboard's own registry, plus what in-process workers and the embedding layer
    // record into it when they share the process (as in the demo).
    d = await startTestDashboard('metrics');
    const metrics = d.metrics;
    metrics.jobs.inc({ task: 'ingest', lane: 'default', outcome: 'completed' }, 8);
    metrics.jobs.inc({ task: 'ingest', lane: 'default', outcome: 'failed' }, 2);
    metrics
      .counter('lanes_embedding_cache_hits_total', 'Embedding cache hits', ['provider', 'model'])
      .inc({ provider: 'local', model: 'hash-384' }, 30);
    metrics
      .counter('lanes_embedding_cache_misses_total', 'Embedding cache misses', ['provider', 'model'])
      .inc({ provider: 'local', model: 'hash-384' }, 10);
    metrics
      .counter('lanes_embedding_tokens_total', 'Embedding tokens', ['provider', 'model'])
      .inc({ provider: 'local', model: 'hash-384' }, 1234);
    metrics
      .counter('lanes_embedding_cost_usd_total', 'Estimated embedding cost', ['provider', 'model'])
      .inc({ provider: 'local', model: 'hash-384' }, 0.0025);
  });
  after(async () => {
    await d?.stop();
  });

  test('lane depth gauges are refreshed from Redis on scrape', async () => {
    await postJson(`${d.url}/api/jobs`, { task: 'ingest', data: { text: 'a', source: 'a' } });
    await postJson(`${d.url}/api/jobs`, { task: 'ingest', data: { text: 'b', source: 'b' }, options: { priority: 2 } });
    await postJson(`${d.url}/api/jobs`, {
      task: 'ingest',
      data: { text: 'c', source: 'c' },
      options: { delayMs: 60_000 },
    });
    const text = (await call(`${d.url}/metrics`)).body as string;
    assert.equal(sampleValue(text, 'lanes_lane_backlog{lane="default"}'), 3);
    assert.equal(sampleValue(text, 'lanes_lane_backlog{lane="critical"}'), 0);
    assert.equal(sampleValue(text, 'lanes_lane_depth{lane="default",state="prioritized"}'), 1);
    assert.equal(sampleValue(text, 'lanes_lane_depth{lane="default",state="delayed"}'), 1);
  });

  test('request durations are labelled by route pattern, never by raw path', async () => {
    await call(`${d.url}/api/jobs/abc-123`);
    await call(`${d.url}/api/jobs/def-456`);
    const text = (await call(`${d.url}/metrics`)).body as string;
    assert.match(
      text,
      /lanes_dashboard_http_request_duration_seconds_count\{method="GET",route="\/api\/jobs\/:id",status="404"\} 2/,
    );
    const routes = labelValues(text, 'route');
    for (const route of routes) assert.doesNotMatch(route, /abc-123|def-456/);
    assert.doesNotMatch(text, /abc-123|def-456/);
  });

  test('the overview reads throughput by task and embedding figures from the shared registry', async () => {
    const o = (await call(`${d.url}/api/overview`)).body;
    assert.deepEqual(o.tasks, [{ task: 'ingest', lane: 'default', completed: 8, failed: 2, retried: 0 }]);
    assert.equal(o.embeddings.source, 'registry');
    assert.equal(o.embeddings.hitRate, 0.75);
    assert.equal(o.embeddings.tokens, 1234);
    assert.equal(o.embeddings.costUsd, 0.0025);
  });

  test('the exposition passes promtool check metrics', async (t) => {
    const promtool = findPromtool();
    if (promtool === undefined) {
      t.skip(
        'promtool not found: install Debian\'s "prometheus" package (apt-get install -y prometheus) to run this check',
      );
      return;
    }
    await call(`${d.url}/api/overview`);
    const res = await call(`${d.url}/metrics`);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const check = spawnSync(promtool, ['check', 'metrics'], { input: res.body as string, encoding: 'utf8' });
    assert.equal(check.status, 0, `promtool check metrics failed:\n${check.stdout}${check.stderr}`);
  });
});

describe('overview throughput from BullMQ worker metrics', () => {
  test('countInWindow places the window by BullMQ timestamps, pending minute included', () => {
    const minute = 60_000;
    const now = 1000 * minute + 30_000;
    // Last flush this minute: 4 pending; the minutes before hold 3, 2, 1.
    const fresh = { meta: { count: 10, prevTS: 1000 * minute + 5_000, prevCount: 6 }, data: [3, 2, 1], count: 3 };
    assert.equal(countInWindow(fresh, now, 15), 10);
    assert.equal(countInWindow(fresh, now, 2), 4 + 3);
    // Idle for 14 minutes since the last flush: only the pending minute is still inside 15.
    const idle = { ...fresh, meta: { ...fresh.meta, prevTS: 986 * minute } };
    assert.equal(countInWindow(idle, now, 15), 4);
    assert.equal(countInWindow({ ...idle, meta: { ...idle.meta, prevTS: 900 * minute } }, now, 15), 0);
    assert.equal(countInWindow({ meta: { count: 0, prevTS: 0, prevCount: 0 }, data: [], count: 0 }, now, 15), 0);
  });

  test('with worker metrics enabled the overview reads them', async () => {
    const d = await startTestDashboard('bullmetrics');
    try {
      for (const data of [
        { text: 'a', source: 'a' },
        { text: 'b', source: 'b' },
        { text: 'c', source: 'c' },
      ]) {
        await postJson(`${d.url}/api/jobs`, { task: 'ingest', data, options: { lane: 'low' } });
      }
      await processJobs(d.client, 'low', 3, { collectMetrics: true });
      const o = (await call(`${d.url}/api/overview`)).body;
      assert.equal(o.throughput.source, 'bullmq-metrics');
      const low = o.throughput.lanes.find((l: { lane: string }) => l.lane === 'low');
      assert.equal(low.completed, 3);
      assert.equal(low.failed, 0);
      assert.equal(low.failureRate, 0);
    } finally {
      await d.stop();
    }
  });
});

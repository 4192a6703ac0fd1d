// GET /api/overview/series: what the overview's charts draw, from Redis. Completed and failed
// per lane come from BullMQ's per-minute metrics (a real BullMQ worker recording them), the
// backlog from the dashboard's own per-minute samples, embedding usage from the injected source.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { builtinContracts, ContractRegistry, defineContract, z } from '@lanes/contracts';
import { call, processJobs, startTestDashboard, type TestDashboard } from './harness.ts';

const mark = defineContract()({
  name: 'mark',
  lane: 'default',
  schema: z.object({ fail: z.string().optional() }),
  retry: { attempts: 1 },
});

describe('overview series', () => {
  let d: TestDashboard;
  const usage = {
    daily: async (days: number) =>
      Array.from({ length: days }, (_, i) => ({
        day: `2026-11-${String(i + 1).padStart(2, '0')}`,
        tokens: i * 100,
        costUsd: i / 1000,
      })),
  };

  before(async () => {
    d = await startTestDashboard('series', { contracts: new ContractRegistry([...builtinContracts, mark]), usage });
    for (let i = 0; i < 5; i++) await d.client.enqueue(mark, i < 2 ? { fail: 'no' } : {});
    await processJobs(d.client, 'default', 5, { collectMetrics: true });
    for (let i = 0; i < 3; i++) await d.client.enqueue(mark, {}, { lane: 'low', delayMs: 3600_000 });
  });
  after(async () => d?.stop());

  test('the hour: sixty one-minute steps; this minute holds the completions and failures; the backlog sample shows the delayed jobs', async () => {
    const res = await call(`${d.url}/api/overview/series?range=hour`);
    assert.equal(res.status, 200);
    const s = res.body;
    assert.equal(s.stepSeconds, 60);
    assert.equal(s.t.length, 60);
    assert.equal(s.t[59] - s.t[0], 59 * 60);
    assert.equal(s.throughputRecorded, true);
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    assert.equal(sum(s.lanes.default.completed), 3);
    assert.equal(sum(s.lanes.default.failed), 2);
    assert.equal(sum(s.lanes.low.completed), 0);
    assert.equal(s.lanes.low.backlog.at(-1), 3);
    assert.equal(s.lanes.default.backlog.at(-1), 0);
    assert.equal(s.lanes.low.backlog[0], null, 'no sample an hour ago');
    assert.deepEqual(s.embeddings.tokens.slice(0, 3), [0, 100, 200]);
    assert.equal(s.embeddings.days.length, 14);
  });

  test('the day: ninety-six fifteen-minute steps with the same totals; a bad range is 400', async () => {
    const s = (await call(`${d.url}/api/overview/series?range=day`)).body;
    assert.equal(s.stepSeconds, 900);
    assert.equal(s.t.length, 96);
    assert.equal(
      s.lanes.default.completed.reduce((a: number, b: number) => a + b, 0),
      3,
    );
    assert.equal(
      s.lanes.default.failed.reduce((a: number, b: number) => a + b, 0),
      2,
    );
    const bad = await call(`${d.url}/api/overview/series?range=week`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.fields[0].field, 'range');
  });
});

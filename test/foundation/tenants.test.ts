// Fair sharing between tenants within a lane (CONTRACT.md, "Tenants"): one tenant's backlog
// never holds back another tenant's jobs by more than the window plus a turn of the ring.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from '@lanes/contracts';
import { setTenantWindow } from '@lanes/queue';
import { LanesClient } from '@lanes/client';
import { Redis } from 'ioredis';
import { defineTask, type LanesWorker } from '@lanes/worker-core';
import { eventually, REDIS_URL, sleep, uniquePrefix } from '../support/env.ts';
import { runCli, SAMPLE_TASKS, startWorker } from '../support/workers.ts';

const started: string[] = [];
const tenantWork = defineTask({
  name: 'tenant-work',
  lane: 'default',
  schema: z.object({ label: z.string() }),
  handler: async ({ label }) => {
    started.push(label);
    await sleep(5);
    return label;
  },
});

describe('tenants', () => {
  const clients: LanesClient[] = [];
  const workers: LanesWorker[] = [];
  const redis = new Redis(REDIS_URL);
  after(async () => {
    redis.disconnect();
    await Promise.all(workers.map((w) => w.close(1000)));
    await Promise.all(clients.map((c) => c.close()));
  });
  const clientFor = (prefix: string): LanesClient => {
    const client = new LanesClient({ redisUrl: REDIS_URL, prefix });
    clients.push(client);
    return client;
  };

  test("a tenant's backlog of 60 jobs holds another tenant's jobs back by a few jobs, not 60", async () => {
    const prefix = uniquePrefix('tenants-fair');
    const client = clientFor(prefix);
    started.length = 0;
    // Workers set the window; none runs yet, so producers use the same value from Redis.
    await setTenantWindow(redis, client.prefix, 2);
    await client.enqueueBulk(
      tenantWork,
      Array.from({ length: 60 }, (_, i) => ({ payload: { label: `a${i}` }, options: { tenant: 'acme' } })),
    );
    const late = await client.enqueueBulk(
      tenantWork,
      Array.from({ length: 4 }, (_, i) => ({ payload: { label: `b${i}` }, options: { tenant: 'globex' } })),
    );
    // Held while acme's backlog fills the lane: reported as waiting, not delayed.
    assert.equal((await client.status(late[3]!.id)).state, 'waiting');
    const worker = await startWorker(
      prefix,
      { tasks: [tenantWork], lanes: ['default'], concurrency: 1 },
      { LANES_TENANT_WINDOW: '2' },
    );
    workers.push(worker);
    await eventually(async () => (started.length === 64 ? true : undefined), 60_000, 'all 64 jobs to run');
    const lastGlobex = Math.max(...['b0', 'b1', 'b2', 'b3'].map((label) => started.indexOf(label)));
    // Window 2 plus alternation: globex's 4 jobs run within the first dozen, not after acme's 60.
    assert.ok(lastGlobex < 12, `globex's last job ran at position ${lastGlobex}: ${started.slice(0, 16).join(' ')}`);
    assert.equal(new Set(started).size, 64, 'every job ran exactly once');
    for (const handle of late) assert.equal(await handle.wait({ timeoutMs: 10_000 }), `b${late.indexOf(handle)}`);
  });

  test("the issue's case: 20 jobs of one tenant enqueued after 3000 of another start before a tenth of the 3000 are done (default window)", async () => {
    const prefix = uniquePrefix('tenants-3000');
    const client = clientFor(prefix);
    started.length = 0;
    await client.enqueueBulk(
      tenantWork,
      Array.from({ length: 3000 }, (_, i) => ({ payload: { label: `a${i}` }, options: { tenant: 'acme' } })),
    );
    await client.enqueueBulk(
      tenantWork,
      Array.from({ length: 20 }, (_, i) => ({ payload: { label: `b${i}` }, options: { tenant: 'globex' } })),
    );
    const worker = await startWorker(prefix, { tasks: [tenantWork], lanes: ['default'], concurrency: 16 });
    workers.push(worker);
    await eventually(async () => (started.length === 3020 ? true : undefined), 180_000, 'all 3020 jobs to run');
    const lastGlobex = Math.max(...Array.from({ length: 20 }, (_, i) => started.indexOf(`b${i}`)));
    // Started bounds done: fewer than 300 of acme's jobs had even started when globex's last one did.
    const acmeBefore = started.slice(0, lastGlobex).filter((label) => label.startsWith('a')).length;
    assert.ok(acmeBefore < 300, `${acmeBefore} of acme's jobs started before globex's last one`);
    assert.equal(new Set(started).size, 3020, 'every job ran exactly once');
  });

  test('an uncongested lane takes tenant jobs straight away; a held job can be cancelled', async () => {
    const prefix = uniquePrefix('tenants-idle');
    const client = clientFor(prefix);
    await setTenantWindow(redis, client.prefix, 1);
    const first = await client.enqueue(tenantWork, { label: 'first' }, { tenant: 'acme' });
    assert.equal(await client.queues.get('default').getJobState(first.id), 'waiting');
    const held = await client.enqueue(tenantWork, { label: 'held' }, { tenant: 'acme' });
    assert.equal(await client.queues.get('default').getJobState(held.id), 'delayed');
    assert.equal((await client.status(held.id)).state, 'waiting');
    assert.equal(await client.cancel(held.id), 'removed');
    assert.equal((await client.status(held.id)).state, 'unknown');
    started.length = 0;
    const result = first.wait({ timeoutMs: 10_000 });
    const worker = await startWorker(prefix, { tasks: [tenantWork], lanes: ['default'], concurrency: 1 });
    workers.push(worker);
    assert.equal(await result, 'first');
    await sleep(500);
    assert.deepEqual(started, ['first'], 'the cancelled held job never ran');
  });

  test('LANES_TENANT_CONCURRENCY caps one tenant across workers while others run; jobs are counted per tenant', async () => {
    const prefix = uniquePrefix('tenants-cap');
    const client = clientFor(prefix);
    const running = new Map<string, number>();
    const peak = new Map<string, number>();
    let overlapped = false;
    const capped = defineTask({
      name: 'capped-work',
      lane: 'default',
      schema: z.object({ tenant: z.string() }),
      handler: async ({ tenant }) => {
        running.set(tenant, (running.get(tenant) ?? 0) + 1);
        peak.set(tenant, Math.max(peak.get(tenant) ?? 0, running.get(tenant)!));
        if (tenant === 'globex' && (running.get('acme') ?? 0) > 0) overlapped = true;
        await sleep(150);
        running.set(tenant, running.get(tenant)! - 1);
        return tenant;
      },
    });
    const env = { LANES_TENANT_CONCURRENCY: '1' };
    const first = await startWorker(prefix, { tasks: [capped], lanes: ['default'], concurrency: 4 }, env);
    const second = await startWorker(prefix, { tasks: [capped], lanes: ['default'], concurrency: 4 }, env);
    workers.push(first, second);
    const jobs = await client.enqueueBulk(capped, [
      ...Array.from({ length: 4 }, () => ({ payload: { tenant: 'acme' }, options: { tenant: 'acme' } })),
      ...Array.from({ length: 2 }, () => ({ payload: { tenant: 'globex' }, options: { tenant: 'globex' } })),
    ]);
    await Promise.all(jobs.map((job) => job.wait({ timeoutMs: 20_000 })));
    assert.equal(peak.get('acme'), 1, 'acme never ran two jobs at once, on either worker');
    assert.equal(peak.get('globex'), 1);
    assert.ok(overlapped, "globex's jobs ran while acme's were running: the cap is per tenant");
    const counted = await Promise.all(
      [first, second].map(async (worker) => (await worker.metrics.tenantJobs.get()).values),
    );
    const completed = (tenant: string): number =>
      counted
        .flat()
        .filter((v) => v.labels.tenant === tenant && v.labels.outcome === 'completed')
        .reduce((sum, v) => sum + v.value, 0);
    assert.equal(completed('acme'), 4);
    assert.equal(completed('globex'), 2);
  });

  test('a malformed tenant is refused at enqueue, naming options.tenant', async () => {
    const client = clientFor(uniquePrefix('tenants-bad'));
    await assert.rejects(client.enqueue(tenantWork, { label: 'x' }, { tenant: '' }), /options\.tenant/);
    await assert.rejects(client.enqueue(tenantWork, { label: 'x' }, { tenant: 'a b' }), /options\.tenant/);
    const cli = await runCli(
      ['enqueue', 'echo', '--data', '{"message":"hi"}', '--tenant', 'a b', '--tasks', SAMPLE_TASKS],
      { LANES_PREFIX: uniquePrefix('tenants-cli') },
    );
    assert.equal(cli.code, 2, cli.stderr);
    assert.match(cli.stderr, /options\.tenant/);
  });
});

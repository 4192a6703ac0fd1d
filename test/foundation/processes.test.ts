import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LanesClient } from '@lanes/client';
import { eventually, REDIS_URL, uniquePrefix } from '../support/env.ts';
import { runCli, spawnWorker, startWorker } from '../support/workers.ts';
import { criticalPing, lowWork, slow } from '../support/sample-tasks.ts';

async function waitForState(client: LanesClient, id: string, state: string): Promise<void> {
  await eventually(
    async () => ((await client.status(id)).state === state ? true : undefined),
    20_000,
    `job ${id} to be ${state}`,
  );
}

describe('worker processes', () => {
  const clients: LanesClient[] = [];
  const clientFor = (prefix: string): LanesClient => {
    const client = new LanesClient({ redisUrl: REDIS_URL, prefix });
    clients.push(client);
    return client;
  };
  after(() => Promise.all(clients.map((c) => c.close())));

  test('SIGTERM lets the job in flight finish, then the worker exits 0', async () => {
    const prefix = uniquePrefix('sigterm');
    const client = clientFor(prefix);
    const worker = spawnWorker(prefix);
    const handle = await client.enqueue(slow, { ms: 1500 });
    await waitForState(client, handle.id, 'active');
    worker.process.kill('SIGTERM');
    const exit = await worker.exited;
    assert.equal(exit.code, 0, worker.output());
    const status = await client.status(handle.id);
    assert.equal(status.state, 'completed');
    assert.equal(status.attemptsMade, 1);
  });

  test('at the drain deadline an unfinished job is handed back and another worker completes it', async () => {
    const prefix = uniquePrefix('deadline');
    const client = clientFor(prefix);
    const first = spawnWorker(prefix, [], { LANES_DRAIN_TIMEOUT_MS: '300' });
    const handle = await client.enqueue(slow, { ms: 4000, ignoreSignal: true });
    await waitForState(client, handle.id, 'active');
    first.process.kill('SIGTERM');
    assert.equal((await first.exited).code, 0);
    assert.equal(
      (await client.status(handle.id)).state,
      'waiting',
      'handed back at once, without waiting for the lock to expire',
    );
    const second = await startWorker(prefix);
    try {
      assert.deepEqual(await handle.wait({ timeoutMs: 10_000 }), { slept: 4000, attempt: 1 });
    } finally {
      await second.close();
    }
  });

  test('a worker killed with SIGKILL mid-job loses nothing: another worker completes the job', async () => {
    const prefix = uniquePrefix('sigkill');
    const client = clientFor(prefix);
    const doomed = spawnWorker(prefix);
    const handle = await client.enqueue(slow, { ms: 1000 });
    await waitForState(client, handle.id, 'active');
    doomed.process.kill('SIGKILL');
    await doomed.exited;
    const survivor = spawnWorker(prefix, [], { LANES_STALLED_INTERVAL_MS: '1000' });
    try {
      const result = (await handle.wait({ timeoutMs: 20_000 })) as { slept: number };
      assert.equal(result.slept, 1000);
      assert.equal((await client.status(handle.id)).state, 'completed');
    } finally {
      survivor.process.kill('SIGTERM');
      await survivor.exited;
    }
  });

  test('critical work is not stuck behind a backlog of low work', async () => {
    const prefix = uniquePrefix('lanes');
    const client = clientFor(prefix);
    await client.enqueueBulk(
      lowWork,
      Array.from({ length: 400 }, () => ({ payload: { ms: 25 } })),
    );
    const worker = await startWorker(prefix, { concurrency: { critical: 2, default: 2, low: 2 } });
    try {
      await eventually(async () => ((await client.queues.get('low').getActiveCount()) > 0 ? true : undefined));
      const pings = await client.enqueueBulk(
        criticalPing,
        Array.from({ length: 5 }, () => ({ payload: { sentAt: Date.now() } })),
      );
      await Promise.all(pings.map((ping) => ping.wait({ timeoutMs: 10_000 })));
      // 400 jobs x 25 ms over 2 slots is 5 s of low work; the critical ones did not wait for it.
      const lowLeft = await client.queues.get('low').getWaitingCount();
      assert.ok(lowLeft > 200, `critical jobs finished only after the low backlog drained to ${lowLeft}`);
    } finally {
      await worker.close(0);
    }
  });

  test('invalid configuration stops start-up with one line naming the setting (exit 2)', async () => {
    const bad = await runCli(['worker', '--no-builtins'], { REDIS_URL: 'http://nope' });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr.trim(), /^lanes: invalid configuration: REDIS_URL must use redis:\/\/ or rediss:\/\//);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    const badInt = await runCli(['worker', '--no-builtins'], { LANES_DRAIN_TIMEOUT_MS: 'soon' });
    assert.equal(badInt.code, 2);
    assert.match(badInt.stderr, /LANES_DRAIN_TIMEOUT_MS must be an integer/);
    const badFlag = await runCli(['worker', '--no-builtins', '--queues', 'urgent']);
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /--queues/);
  });

  test('the CLI enqueues, waits and reports status as JSON; a bad payload exits 2 naming the field', async () => {
    const prefix = uniquePrefix('cli');
    const worker = await startWorker(prefix);
    try {
      const env = { LANES_PREFIX: prefix, LANES_TASKS: 'test/support/sample-tasks.ts' };
      const waited = await runCli(['enqueue', 'echo', '--data', '{"message":"hello"}', '--wait', '--json'], env);
      assert.equal(waited.code, 0, waited.stderr);
      const body = JSON.parse(waited.stdout) as { jobs: Array<{ id: string; state: string; result: unknown }> };
      assert.equal(body.jobs[0]?.state, 'completed');
      assert.deepEqual(body.jobs[0]?.result, { echoed: 'hello', count: 0 });
      const status = await runCli(['status', body.jobs[0]!.id, '--json'], env);
      assert.equal(JSON.parse(status.stdout).state, 'completed');
      const bad = await runCli(['enqueue', 'echo', '--data', '{"message":1}'], env);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /message/);
      const unknown = await runCli(['enqueue', 'nope', '--data', '{}'], env);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /unknown task "nope"/);
    } finally {
      await worker.close();
    }
  });
});

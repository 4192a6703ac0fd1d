// A local Redis Cluster of three masters runs the lanes end to end through
// REDIS_URL=redis+cluster://...: enqueue on every lane, worker processes, a children flow,
// cancellation (pub/sub), CLI enqueue and status. With the hash-tagged prefix every key Lanes
// writes hashes to one slot, which BullMQ's multi-key scripts need.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createProducerConnection } from '@lanes/queue';
import { LanesClient } from '@lanes/client';
import { eventually } from '../support/env.ts';
import { PrivateRedisCluster } from '../support/servers.ts';
import { runCli, SAMPLE_TASKS } from '../support/workers.ts';
import { criticalPing, echo, lowWork, sumOfSquares } from '../support/sample-tasks.ts';
import { RELIABILITY_TASKS, settle, spawnLanesWorker, type WorkerProcess } from './helpers.ts';
import { relMark, sideEffectKeys } from './tasks.ts';

async function scanAll(node: Redis): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  for (let round = 0; round < 10_000; round += 1) {
    const [next, batch] = await node.scan(cursor, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
    if (cursor === '0') break;
  }
  return keys;
}

describe('Redis Cluster (three masters)', () => {
  let cluster: PrivateRedisCluster;
  let client: LanesClient | undefined;
  const workers: WorkerProcess[] = [];

  before(async () => {
    cluster = await PrivateRedisCluster.start(3);
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.stop(5000)));
    await client?.close();
    await cluster?.dispose();
  });

  test('lanes, children, cancellation and the CLI work on the cluster; every key lives in one slot', {
    timeout: 120_000,
  }, async (t) => {
    const prefix = `{lanes-${randomBytes(4).toString('hex')}}`;
    const env = { LANES_LOCK_DURATION_MS: '5000' };
    for (let i = 0; i < 2; i += 1) {
      workers.push(
        spawnLanesWorker({
          redisUrl: cluster.url,
          prefix,
          env,
          tasks: [RELIABILITY_TASKS, SAMPLE_TASKS],
          args: ['--concurrency', '4'],
        }),
      );
    }
    client = new LanesClient({ redisUrl: cluster.url, prefix });
    assert.equal(client.prefix, prefix, 'an already hash-tagged prefix is kept as is');

    // Every lane, and a flow whose children land on the default lane.
    const echoes = await client.enqueueBulk(
      echo,
      Array.from({ length: 30 }, (_, i) => ({ payload: { message: `m${i}`, count: i } })),
    );
    const lows = await client.enqueueBulk(
      lowWork,
      Array.from({ length: 10 }, () => ({ payload: { ms: 5 } })),
    );
    const pings = await client.enqueueBulk(
      criticalPing,
      Array.from({ length: 10 }, () => ({ payload: { sentAt: Date.now() } })),
    );
    const marks = await client.enqueueBulk(
      relMark,
      Array.from({ length: 40 }, () => ({ payload: { ms: 5 } })),
    );
    const flow = await client.enqueue(sumOfSquares, { numbers: [1, 2, 3, 4, 5] });

    const results = await Promise.all(echoes.map((h) => h.wait({ timeoutMs: 60_000 })));
    results.forEach((result, i) => {
      assert.deepEqual(result, { echoed: `m${i}`, count: i });
    });
    await Promise.all([...lows, ...pings, ...marks].map((h) => h.wait({ timeoutMs: 60_000 })));
    assert.deepEqual(await flow.wait({ timeoutMs: 60_000 }), { sum: 55, children: 5 });

    // Side effects of the worker processes landed in the same slot too.
    const probe = createProducerConnection(cluster.url);
    try {
      const done = await probe.smembers(sideEffectKeys(prefix).done);
      assert.deepEqual(new Set(done), new Set(marks.map((h) => h.id)));
    } finally {
      probe.disconnect();
    }

    // Cancellation travels over pub/sub, which the cluster relays to every node.
    const long = await client.enqueue(relMark, { ms: 10_000 });
    await eventually(
      async () => ((await client!.status(long.id)).state === 'active' ? true : undefined),
      30_000,
      'the long job to start',
    );
    assert.equal(await client.cancel(long.id), 'signalled');
    const [cancelled] = await settle(client, [long.id], 30_000, 'the cancelled job');
    assert.equal(cancelled!.state, 'failed');
    assert.match(cancelled!.failedReason ?? '', /cancel/i);

    // The CLI takes the cluster URL from REDIS_URL like any other.
    const cliEnv = { REDIS_URL: cluster.url, LANES_PREFIX: prefix };
    const enqueued = await runCli(
      ['enqueue', 'echo', '--data', '{"message":"via cli"}', '--wait', '--json', '--tasks', SAMPLE_TASKS],
      cliEnv,
    );
    assert.equal(enqueued.code, 0, enqueued.stderr);
    const enqueuedJson = JSON.parse(enqueued.stdout) as { jobs: Array<{ id: string; state: string; result: unknown }> };
    assert.equal(enqueuedJson.jobs[0]?.state, 'completed');
    assert.deepEqual(enqueuedJson.jobs[0]?.result, { echoed: 'via cli', count: 0 });
    const status = await runCli(['status', flow.id, '--json'], cliEnv);
    assert.equal(status.code, 0, status.stderr);
    const statusJson = JSON.parse(status.stdout) as { state: string; task: string; queue: string };
    assert.deepEqual(
      { state: statusJson.state, task: statusJson.task, queue: statusJson.queue },
      { state: 'completed', task: 'sum-of-squares', queue: 'default' },
    );

    // Every key in the cluster belongs to the prefix, and they all hash to one slot on one node.
    const nodes = cluster.nodes.map((n) => n.connect());
    try {
      const perNode = await Promise.all(nodes.map((node) => scanAll(node)));
      const all = perNode.flat();
      assert.ok(all.length > 20, `expected lane keys, found ${all.length}`);
      assert.deepEqual(
        all.filter((key) => !key.startsWith(prefix)),
        [],
        'no key outside the prefix',
      );
      const holders = perNode
        .map((keys, i) => ({ port: cluster.nodes[i]!.port, keys: keys.length }))
        .filter((n) => n.keys > 0);
      assert.equal(holders.length, 1, `keys spread over nodes: ${JSON.stringify(holders)}`);
      const expectedSlot = Number(await nodes[0]!.call('CLUSTER', 'KEYSLOT', prefix));
      const slots = new Set<number>();
      for (const key of all) slots.add(Number(await nodes[0]!.call('CLUSTER', 'KEYSLOT', key)));
      assert.deepEqual([...slots], [expectedSlot]);
      t.diagnostic(
        `${all.length} keys, all in slot ${expectedSlot} on node :${holders[0]!.port}; ${cluster.nodes.length} masters`,
      );
    } finally {
      for (const node of nodes) node.disconnect();
    }
    for (const w of workers)
      assert.equal(w.process.exitCode, null, `worker ${w.pid} kept running:\n${w.output().slice(-2000)}`);
  });
});

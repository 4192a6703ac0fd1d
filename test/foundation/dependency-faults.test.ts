// The one classifier of infrastructure faults, fed the errors real drivers raise here: an outage
// of Redis or PostgreSQL is recognised (and named), a request's own error is not, and a bare
// socket error counts only where the caller says whose socket it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import { DependencyUnavailableError, infrastructureFault } from '@lanes/contracts';
import { createProducerConnection } from '@lanes/queue';
import { REDIS_URL } from '../support/env.ts';
import { freePort } from '../support/servers.ts';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => assert.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

test('real driver errors are classified by dependency and kind', async () => {
  const closed = await freePort();

  // Redis down: the producer connection gives up after its retries.
  const down = createProducerConnection(`redis://127.0.0.1:${closed}`);
  down.on('error', () => undefined);
  const redisDown = await rejection(down.ping());
  down.disconnect();
  assert.deepEqual(infrastructureFault(redisDown), {
    dependency: 'redis',
    kind: 'connection',
    reason: (redisDown as Error).message,
  });

  // A wrong command is the caller's fault, not an outage.
  const redis = new Redis(REDIS_URL);
  try {
    const key = `t-classifier-${process.pid}`;
    await redis.set(key, 'a string', 'EX', 60);
    const wrongType = await rejection(redis.lpush(key, 'x'));
    assert.match((wrongType as Error).message, /^WRONGTYPE/);
    assert.equal(infrastructureFault(wrongType), undefined);
    await redis.del(key);
  } finally {
    redis.disconnect();
  }

  // PostgreSQL unreachable: a bare ECONNREFUSED, an outage only where PostgreSQL is named.
  const client = new pg.Client({
    host: '127.0.0.1',
    port: closed,
    user: 'x',
    database: 'x',
    connectionTimeoutMillis: 2000,
  });
  const pgDown = await rejection(client.connect());
  assert.equal(infrastructureFault(pgDown), undefined, 'whose socket it was is unknown without a hint');
  assert.equal(infrastructureFault(pgDown, 'postgres')?.dependency, 'postgres');
  assert.equal(infrastructureFault(pgDown, 'postgres')?.kind, 'connection');

  // A reset from any other peer (an HTTP API) is not mistaken for a database outage.
  const reset = await rejection(
    new Promise((resolve, reject) => {
      const socket = connect(closed, '127.0.0.1');
      socket.once('connect', resolve);
      socket.once('error', reject);
    }),
  );
  assert.equal(infrastructureFault(reset), undefined);

  // Wrapped once, the fault travels as a typed error, and through causes.
  const typed = new DependencyUnavailableError(infrastructureFault(pgDown, 'postgres')!, { cause: pgDown });
  assert.equal(typed.code, 'DEPENDENCY_UNAVAILABLE');
  assert.equal(infrastructureFault(typed)?.dependency, 'postgres');
  assert.equal(infrastructureFault(new Error('ingest failed', { cause: typed }))?.dependency, 'postgres');
});

// Errors that name the broken part: with Redis or PostgreSQL down, the CLI, the client and the
// dashboard say which service is unreachable and at what (redacted) URL, PostgreSQL failures are
// never blamed on Redis, and a worker's log collapses the repeated connection errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { DependencyUnavailableError, ingest } from '@lanes/contracts';
import { LanesClient } from '@lanes/client';
import { createLogger, RepeatedErrorLog } from '@lanes/worker-core';
import { Database } from '@lanes/tasks';
import { startDashboard, type RunningDashboard } from '@lanes/dashboard';
import { REDIS_URL, REPO_ROOT, uniquePrefix } from '../support/env.ts';
import { PrivateRedis } from '../support/servers.ts';
import { CLI, runCli, SAMPLE_TASKS } from '../support/workers.ts';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('errors name the service and its redacted URL', () => {
  let redisPort: number;
  let pgPort: number;

  before(async () => {
    redisPort = await closedPort();
    pgPort = await closedPort();
  });

  test('the client: enqueue and status fail with DependencyUnavailableError naming Redis, not ioredis retry wording', async () => {
    const client = new LanesClient({
      redisUrl: `redis://:hunter2@127.0.0.1:${redisPort}`,
      prefix: uniquePrefix('down'),
    });
    try {
      for (const attempt of [() => client.enqueue(ingest, { text: 't', source: 's' }), () => client.status('x')]) {
        await assert.rejects(attempt(), (error: unknown) => {
          assert.ok(error instanceof DependencyUnavailableError, String(error));
          assert.equal(error.code, 'DEPENDENCY_UNAVAILABLE');
          assert.equal(error.fault.dependency, 'redis');
          assert.equal(error.message, `cannot reach Redis at redis://:***@127.0.0.1:${redisPort} (connection refused)`);
          return true;
        });
      }
    } finally {
      await client.close();
    }
  });

  test('the CLI: one line naming Redis for enqueue, naming PostgreSQL for documents; exit 1; no password', async () => {
    const enqueue = await runCli(['enqueue', 'ingest', '--data', '{"text":"t","source":"s"}'], {
      REDIS_URL: `redis://:hunter2@127.0.0.1:${redisPort}`,
    });
    assert.equal(enqueue.code, 1);
    assert.equal(
      enqueue.stderr,
      `lanes: cannot reach Redis at redis://:***@127.0.0.1:${redisPort} (connection refused)\n`,
    );
    const documents = await runCli(['documents'], {
      DATABASE_URL: `postgres://lanes:hunter2@127.0.0.1:${pgPort}/lanes`,
    });
    assert.equal(documents.code, 1);
    assert.match(
      documents.stderr,
      new RegExp(
        `^lanes: cannot reach PostgreSQL at postgres://lanes:\\*\\*\\*@127\\.0\\.0\\.1:${pgPort}/lanes \\(connection refused\\)\\n$`,
      ),
    );
  });

  describe('the dashboard with PostgreSQL down and Redis up', () => {
    let db: Database;
    let dashboard: RunningDashboard;
    let client: LanesClient;

    before(async () => {
      db = new Database({ url: `postgres://lanes:hunter2@127.0.0.1:${pgPort}/lanes`, schema: 'public' });
      client = new LanesClient({ redisUrl: REDIS_URL, prefix: uniquePrefix('pg-down') });
      dashboard = await startDashboard({
        client,
        port: 0,
        host: '127.0.0.1',
        logger: createLogger('silent'),
        readinessChecks: [{ name: 'postgres', check: () => db.ping() }],
        search: async () => {
          await db.ping();
          return { query: '', results: [] };
        },
      });
    });
    after(async () => {
      await dashboard.close();
      await client.close();
      await db.close();
    });

    test('/readyz reports PostgreSQL unreachable and Redis ok; search answers 503 naming PostgreSQL', async () => {
      const ready = await fetch(`${dashboard.url}/readyz`);
      assert.equal(ready.status, 503);
      const checks = ((await ready.json()) as { checks: Record<string, string> }).checks;
      assert.equal(checks.redis, 'ok');
      assert.equal(
        checks.postgres,
        `cannot reach PostgreSQL at postgres://lanes:***@127.0.0.1:${pgPort}/lanes (connection refused)`,
      );
      const search = await fetch(`${dashboard.url}/api/search?q=hello`);
      assert.equal(search.status, 503);
      const body = (await search.json()) as { error: string; code: string };
      assert.match(body.error, /^cannot reach PostgreSQL at /);
      assert.doesNotMatch(body.error, /Redis|hunter2/);
    });
  });

  test('the dashboard with Redis down: API answers 503 naming Redis and its URL', async () => {
    const dashboard = await startDashboard({
      port: 0,
      host: '127.0.0.1',
      config: { redisUrl: `redis://:hunter2@127.0.0.1:${redisPort}`, prefix: 'down' },
      logger: createLogger('silent'),
    });
    try {
      const res = await fetch(`${dashboard.url}/api/jobs/some-id`);
      assert.equal(res.status, 503);
      assert.equal(
        ((await res.json()) as { error: string }).error,
        `cannot reach Redis at redis://:***@127.0.0.1:${redisPort} (connection refused)`,
      );
    } finally {
      await dashboard.close();
    }
  });
});

describe('repeated errors are collapsed in the log', () => {
  test('RepeatedErrorLog writes the first line at once and the repeats as one counted line per window', () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write: (chunk, _encoding, done) => {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    });
    const log = new RepeatedErrorLog(pino(sink), 60_000);
    for (let i = 0; i < 200; i++) log.report('error', { lane: 'default', err: { message: 'down' } }, 'worker error');
    log.report('error', { lane: 'low', err: { message: 'down' } }, 'worker error');
    assert.equal(lines.length, 2);
    log.flush();
    assert.equal(lines.length, 3);
    assert.equal(lines[2]!.repeated, 199);
    assert.equal(lines[2]!.lane, 'default');
    log.flush();
    assert.equal(lines.length, 3, 'nothing repeated since: no line');
    log.report('error', { lane: 'default', err: { message: 'down' } }, 'worker error');
    assert.equal(lines.length, 4, 'after a quiet window the next occurrence shows at once');
    log.close();
  });

  test('a worker with Redis down logs one line per lane naming Redis, not one per reconnect', {
    timeout: 30_000,
  }, async () => {
    const port = await closedPort();
    const child = spawn(process.execPath, [CLI, 'worker', '--no-builtins', '--tasks', SAMPLE_TASKS], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        REDIS_URL: `redis://127.0.0.1:${port}`,
        LANES_PREFIX: uniquePrefix('flood'),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // It gives up on its own when start-up cannot reach Redis; else it is stopped after 4 s.
    const timer = setTimeout(() => child.kill('SIGKILL'), 4000);
    const code = await exited;
    clearTimeout(timer);
    const lines = log.split('\n').filter((line) => line !== '');
    const errors = lines.filter((line) => line.includes('"worker error"'));
    assert.ok(errors.length <= 6, `${errors.length} error lines:\n${log.slice(0, 2000)}`);
    const named = new RegExp(`cannot reach Redis at redis://127\\.0\\.0\\.1:${port} \\(connection refused\\)`);
    for (const line of errors) assert.match(line, named);
    assert.doesNotMatch(log, /max retries per request/i);
    if (code !== null)
      assert.match(lines.at(-1)!, new RegExp(`^lanes: ${named.source}$`), 'a worker that gives up says why');
  });

  test('a running worker whose Redis goes away logs the outage once per lane, not once per reconnect, and still stops on SIGTERM', {
    timeout: 90_000,
  }, async () => {
    const redis = await PrivateRedis.start({ label: 'outage' });
    const child = spawn(process.execPath, [CLI, 'worker', '--no-builtins', '--tasks', SAMPLE_TASKS], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        REDIS_URL: redis.url,
        LANES_PREFIX: uniquePrefix('outage'),
        LOG_LEVEL: 'info',
        LANES_DRAIN_TIMEOUT_MS: '1000',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 30_000;
      while (!log.includes('worker started') && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
      assert.match(log, /worker started/);
      await redis.stop('SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 6000));
      const errors = log.split('\n').filter((line) => line.includes('"worker error"'));
      // Before: about seven lines a second per lane (360 in 51 s were seen); now the first of each.
      assert.ok(
        errors.length >= 1 && errors.length <= 6,
        `${errors.length} error lines in 6 s of outage:\n${errors.slice(0, 10).join('\n')}`,
      );
      for (const line of errors)
        assert.match(line, /cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ \(connection (refused|closed|reset)\)/);
      // Told to stop during the outage, it drains within its deadline and exits (it used to wait
      // forever on QUIT commands queued for a Redis that was gone).
      child.kill('SIGTERM');
      const code = await Promise.race([
        exited,
        new Promise((resolve) => setTimeout(() => resolve('still running'), 40_000)),
      ]);
      assert.equal(code, 0, log.slice(-1500));
      assert.match(log, /"worker stopped"/);
    } finally {
      child.kill('SIGKILL');
      await exited;
      await redis.dispose();
    }
  });
});

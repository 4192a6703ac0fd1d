// Secrets never shown (issue 15, point 6): a provider error that echoes the API key used to
// show it in Bull Board's failedReason and stack trace, `lanes status --json` and the worker
// log. Configured secrets (OPENAI_API_KEY, LANES_DASHBOARD_TOKEN, passwords of *_URL) and
// `sk-...`-shaped keys are masked where the failure is recorded and in every log line.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { ingest, type JobStatus } from '@lanes/contracts';
import { LanesClient } from '@lanes/client';
import { REDIS_URL, untilHttpOk } from '../support/env.ts';
import { FakeOpenAIServer } from '../support/fake-openai-server.ts';
import { freePort } from '../support/servers.ts';
import { dropRagState, openaiEnv, ragTestEnv, type TestEnv } from '../rag/helpers.ts';
import { relSecret } from './tasks.ts';
import { RELIABILITY_TASKS, runLanes, settle, spawnLanes, spawnLanesWorker, type WorkerProcess } from './helpers.ts';

const API_KEY = `lanes-provider-key-${randomBytes(8).toString('hex')}`;
const DASHBOARD_TOKEN = `dash-token-${randomBytes(8).toString('hex')}`;
const URL_PASSWORD = `url-password-${randomBytes(6).toString('hex')}`;
const SK_KEY = `sk-proj-${randomBytes(12).toString('hex')}`;
const SECRETS = [API_KEY, DASHBOARD_TOKEN, URL_PASSWORD, SK_KEY];

function assertNoSecret(text: string, where: string): void {
  for (const secret of SECRETS)
    assert.ok(
      !text.includes(secret),
      `${where} shows a secret (${secret.slice(0, 12)}...): ${text.slice(Math.max(0, text.indexOf(secret) - 200), text.indexOf(secret) + 100)}`,
    );
}

describe('secrets never shown', () => {
  let server: FakeOpenAIServer;
  let env: TestEnv;
  let worker: WorkerProcess;
  let dashboard: WorkerProcess;
  let client: LanesClient;
  let redis: Redis;
  let apiUrl: string;
  const failed: JobStatus[] = [];

  before(async () => {
    server = new FakeOpenAIServer();
    await server.start();
    server.inject({ kind: 'invalid-api-key', times: Infinity });
    env = ragTestEnv('secrets', {
      ...openaiEnv(server, { OPENAI_API_KEY: API_KEY }),
      LANES_DASHBOARD_TOKEN: DASHBOARD_TOKEN,
      // A URL whose password must be masked wherever it turns up on its own.
      LANES_WEBHOOK_URL: `https://hooks:${URL_PASSWORD}@127.0.0.1:9/notify`,
      LANES_DRAIN_TIMEOUT_MS: '3000',
      LOG_LEVEL: 'debug',
    });
    const metricsPort = await freePort();
    worker = spawnLanesWorker({
      redisUrl: REDIS_URL,
      prefix: env.LANES_PREFIX!,
      env,
      builtins: true,
      tasks: [RELIABILITY_TASKS],
      args: ['--concurrency', '2', '--metrics-port', String(metricsPort)],
    });
    const port = await freePort();
    dashboard = spawnLanes(['dashboard', '--port', String(port), '--host', '127.0.0.1'], env);
    apiUrl = `http://127.0.0.1:${port}`;
    client = new LanesClient({ redisUrl: REDIS_URL, prefix: env.LANES_PREFIX! });
    redis = new Redis(REDIS_URL);
    await untilHttpOk(`${apiUrl}/healthz`, 'the dashboard');
    await untilHttpOk(`http://127.0.0.1:${metricsPort}/readyz`, 'the worker');

    const document = await client.enqueue(ingest, {
      text: 'A short note that must be embedded by the provider.',
      source: 'note',
    });
    // A task whose own error message carries secrets: an sk- key and the configured values.
    const leaky = await client.enqueue(relSecret, {
      apiKey: SK_KEY,
      note: `${SK_KEY} token=${DASHBOARD_TOKEN} password ${URL_PASSWORD} key ${API_KEY}`,
      fail: true,
    });
    failed.push(...(await settle(client, [document.id, leaky.id], 60_000, 'the failing jobs')));
  });

  after(async () => {
    await Promise.all([worker?.stop(5000), dashboard?.stop(5000)]);
    await client?.close();
    await redis?.quit();
    await server?.stop();
    await dropRagState(env).catch(() => undefined);
  });

  /** failedReason and stacktrace of every job record under the prefix (children included). */
  async function failureRecords(): Promise<Array<{ key: string; reason: string; stack: string }>> {
    const records: Array<{ key: string; reason: string; stack: string }> = [];
    for (let cursor = '0'; ; ) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `*${env.LANES_PREFIX}*`, 'COUNT', 500);
      for (const key of keys) {
        if ((await redis.type(key)) !== 'hash') continue;
        const [reason, stack] = await redis.hmget(key, 'failedReason', 'stacktrace');
        if (reason !== null || stack !== null) records.push({ key, reason: reason ?? '', stack: stack ?? '' });
      }
      cursor = next;
      if (cursor === '0') break;
    }
    return records;
  }

  test('the provider really echoed the key, and the jobs failed with masked reasons', async () => {
    assert.ok(server.countStatus(401) >= 1, 'the fake provider answered 401 with the key in the message');
    for (const status of failed) assert.equal(status.state, 'failed', `${status.task}: ${status.state}`);
    const reasons = (await failureRecords()).map((record) => record.reason);
    assert.ok(
      reasons.some((reason) => reason.includes('Incorrect API key provided: [redacted]')),
      reasons.join(' | '),
    );
    assert.ok(
      reasons.some((reason) => reason.includes('planned failure for [redacted]')),
      reasons.join(' | '),
    );
  });

  test('failed reasons and stack traces stored in Redis are masked', async () => {
    const records = await failureRecords();
    assert.ok(records.length >= 3, `${records.length} failed job records (ingest, its batch-embed child, rel-secret)`);
    for (const record of records) assertNoSecret(`${record.reason}\n${record.stack}`, `Redis ${record.key}`);
  });

  test('lanes status --json, the HTTP API and Bull Board show no secret', async () => {
    const auth = { authorization: `Bearer ${DASHBOARD_TOKEN}` };
    for (const status of failed) {
      const cli = await runLanes(['status', status.id, '--json'], env);
      assert.match(cli.stdout, /"state": "failed"/, cli.stderr);
      assertNoSecret(cli.stdout + cli.stderr, `lanes status ${status.id}`);
      const api = await fetch(`${apiUrl}/api/jobs/${encodeURIComponent(status.id)}`, { headers: auth });
      assert.equal(api.status, 200);
      assertNoSecret(await api.text(), 'GET /api/jobs/:id');
    }
    const board = await fetch(`${apiUrl}/admin/queues/api/queues?activeQueue=default&status=failed&page=1`, {
      headers: auth,
    });
    assert.equal(board.status, 200);
    const text = await board.text();
    assert.match(text, /failedReason/, 'Bull Board lists the failed jobs');
    assertNoSecret(text, 'Bull Board');
  });

  test('the worker and dashboard logs show no secret', () => {
    assert.match(worker.output(), /job attempt failed/, 'the worker logged the failures');
    assertNoSecret(worker.output(), 'the worker log');
    assertNoSecret(dashboard.output(), 'the dashboard log');
  });
});

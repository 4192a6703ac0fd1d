// Redis with a password and Redis over TLS work end to end (worker process, client, CLI), and
// neither the Redis password nor an apiKey carried in a payload ever shows up in worker logs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { LanesClient } from '@lanes/client';
import { eventually, uniquePrefix, untilHttpOk } from '../support/env.ts';
import { freePort, makeTlsFiles, PrivateRedis, tempDir, type TlsFiles } from '../support/servers.ts';
import { dropRagState, ragTestEnv, type TestEnv } from '../rag/helpers.ts';
import { RELIABILITY_TASKS, runLanes, spawnLanes, spawnLanesWorker, type WorkerProcess } from './helpers.ts';
import { relMark, relSecret } from './tasks.ts';

/** A password with characters that must be percent-encoded in a URL. */
const PASSWORD = `pw-${randomBytes(6).toString('hex')}/@:x`;
const API_KEY = `sk-test-${randomBytes(12).toString('hex')}`;

function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

function assertNoSecret(text: string, secret: string, where: string): void {
  for (const form of new Set([secret, encodeURIComponent(secret)])) {
    assert.ok(!text.includes(form), `${where} contains a secret (${form.slice(0, 6)}...):\n${text.slice(0, 4000)}`);
  }
}

describe('security: Redis auth, TLS and secrets in logs', () => {
  const servers: PrivateRedis[] = [];
  const workers: WorkerProcess[] = [];
  const clients: LanesClient[] = [];
  const dashboardEnvs: TestEnv[] = [];
  let tls: TlsFiles;

  before(async () => {
    tls = await makeTlsFiles(tempDir('tls'));
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.stop(5000)));
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(servers.map((s) => s.dispose()));
    for (const env of dashboardEnvs) await dropRagState(env).catch(() => undefined);
    rmSync(tls.dir, { recursive: true, force: true });
  });

  test('requirepass: redis://:password@ works end to end; the password and payload secrets stay out of the logs', {
    timeout: 90_000,
  }, async (t) => {
    const redis = await PrivateRedis.start({ password: PASSWORD, label: 'auth' });
    servers.push(redis);
    assert.ok(redis.url.includes(encodeURIComponent(PASSWORD)));
    const prefix = uniquePrefix('auth');
    const worker = spawnLanesWorker({ redisUrl: redis.url, prefix, env: { LOG_LEVEL: 'debug' } });
    workers.push(worker);
    const client = new LanesClient({ redisUrl: redis.url, prefix });
    clients.push(client);

    const mark = await client.enqueue(relMark, { ms: 1 });
    const good = await client.enqueue(relSecret, { apiKey: API_KEY, note: 'good' });
    const bad = await client.enqueue(relSecret, { apiKey: API_KEY, note: 'bad', fail: true });
    assert.deepEqual(await mark.wait({ timeoutMs: 30_000 }), { id: mark.id });
    assert.deepEqual(await good.wait({ timeoutMs: 30_000 }), { note: 'good' });
    await assert.rejects(bad.wait({ timeoutMs: 30_000 }), /planned failure for bad/);

    // The CLI with the same URL: enqueue --wait and status.
    const env = { REDIS_URL: redis.url, LANES_PREFIX: prefix };
    const cli = await runLanes(
      ['enqueue', 'rel-mark', '--data', '{"ms":1}', '--wait', '--json', '--tasks', RELIABILITY_TASKS],
      env,
    );
    assert.equal(cli.code, 0, `${cli.stdout}\n${cli.stderr}`);
    const status = await runLanes(['status', bad.id, '--json'], env);
    assert.equal(status.code, 1, `status of a failed job exits 1: ${status.stderr}`);
    assert.equal((JSON.parse(status.stdout) as { state: string }).state, 'failed');
    assertNoSecret(cli.stdout + cli.stderr + status.stdout + status.stderr, PASSWORD, 'CLI output');
    assertNoSecret(status.stdout, API_KEY, 'status output');

    // The dashboard on the same Redis: the job's data is shown without the apiKey, and neither
    // its output nor /readyz carries the Redis password.
    const dashboardEnv = ragTestEnv('secdash', { REDIS_URL: redis.url, LANES_PREFIX: prefix, LOG_LEVEL: 'debug' });
    dashboardEnvs.push(dashboardEnv);
    const port = await freePort();
    const dashboard = spawnLanes(['dashboard', '--port', String(port), '--host', '127.0.0.1'], dashboardEnv);
    workers.push(dashboard);
    const base = `http://127.0.0.1:${port}`;
    await untilHttpOk(`${base}/healthz`, 'the dashboard');
    for (const id of [good.id, bad.id]) {
      const shown = await fetch(`${base}/api/jobs/${id}`);
      assert.equal(shown.status, 200);
      const text = await shown.text();
      assert.match(text, /rel-secret/);
      assertNoSecret(text, API_KEY, 'job shown by the dashboard');
    }
    const readyz = await fetch(`${base}/readyz`);
    assertNoSecret(await readyz.text(), PASSWORD, '/readyz');
    assert.equal((await dashboard.stop()).code, 0);
    assertNoSecret(dashboard.output(), PASSWORD, 'dashboard log');
    assertNoSecret(dashboard.output(), API_KEY, 'dashboard log');

    // Without the password, or with a wrong one, the CLI fails clearly and echoes no password.
    const wrong = `wrong-${randomBytes(4).toString('hex')}`;
    for (const url of [`redis://127.0.0.1:${redis.port}`, withPassword(`redis://127.0.0.1:${redis.port}`, wrong)]) {
      const refused = await runLanes(['enqueue', 'rel-mark', '--data', '{"ms":1}', '--tasks', RELIABILITY_TASKS], {
        REDIS_URL: url,
        LANES_PREFIX: prefix,
      });
      assert.equal(refused.signal, null, 'the CLI fails by itself, it does not hang');
      assert.notEqual(refused.code, 0, `enqueue with ${url.replace(wrong, '***')} should fail`);
      assert.match(refused.stderr, /NOAUTH|WRONGPASS|auth|max retries/i, refused.stderr);
      assertNoSecret(refused.stdout + refused.stderr, wrong, 'refused CLI output');
      assertNoSecret(refused.stdout + refused.stderr, PASSWORD, 'refused CLI output');
    }

    // A worker started with a wrong password stops at once with a clear line, no password in it.
    const badWorker = await runLanes(
      ['worker', '--no-builtins', '--tasks', RELIABILITY_TASKS],
      {
        REDIS_URL: withPassword(`redis://127.0.0.1:${redis.port}`, wrong),
        LANES_PREFIX: prefix,
        LOG_LEVEL: 'debug',
      },
      30_000,
    );
    assert.equal(badWorker.signal, null, 'the worker exits by itself, it does not hang');
    assert.notEqual(badWorker.code, 0);
    assert.match(badWorker.stderr, /WRONGPASS/);
    assertNoSecret(badWorker.stdout + badWorker.stderr, wrong, 'output of a worker with a wrong password');

    const exit = await worker.stop();
    assert.equal(exit.code, 0, worker.output().slice(-2000));
    const log = worker.output();
    assert.match(log, /handling a payload with a secret/, 'the task did log its payload');
    assert.match(log, /\[redacted\]/);
    assertNoSecret(log, PASSWORD, 'worker log');
    assertNoSecret(log, API_KEY, 'worker log');
    t.diagnostic(`worker log: ${log.split('\n').length} lines at debug level, no password, no apiKey`);
  });

  test('TLS: rediss:// with a private CA (NODE_EXTRA_CA_CERTS) and a password works end to end; an untrusted CA is refused', {
    timeout: 90_000,
  }, async () => {
    const redis = await PrivateRedis.start({ tls, password: PASSWORD, label: 'tls' });
    servers.push(redis);
    assert.match(redis.url, /^rediss:\/\//);
    const prefix = uniquePrefix('tls');
    const env = { REDIS_URL: redis.url, LANES_PREFIX: prefix, NODE_EXTRA_CA_CERTS: tls.caCert };
    const worker = spawnLanesWorker({ redisUrl: redis.url, prefix, env });
    workers.push(worker);

    const cli = await runLanes(
      [
        'enqueue',
        'rel-mark',
        '--data',
        '{"ms":1}',
        '--wait',
        '--json',
        '--timeout',
        '30000',
        '--tasks',
        RELIABILITY_TASKS,
      ],
      env,
    );
    assert.equal(cli.code, 0, `${cli.stderr}\n${worker.output().slice(-2000)}`);
    const job = (JSON.parse(cli.stdout) as { jobs: Array<{ id: string; state: string; result: { id: string } }> })
      .jobs[0]!;
    assert.equal(job.state, 'completed');
    assert.equal(job.result.id, job.id);

    // The side effect went through TLS too: read it back over a TLS connection of our own.
    const probe = redis.connect();
    try {
      assert.equal(await probe.sismember(`{${prefix}}:rel:done`, job.id), 1);
    } finally {
      probe.disconnect();
    }

    // Without the CA the certificate is not trusted: the command fails, it does not hang.
    const { NODE_EXTRA_CA_CERTS: _ca, ...untrusted } = env;
    const refused = await runLanes(['enqueue', 'rel-mark', '--data', '{"ms":1}', '--tasks', RELIABILITY_TASKS], {
      ...untrusted,
      NODE_EXTRA_CA_CERTS: '',
    });
    assert.equal(refused.signal, null, 'the CLI fails by itself, it does not hang');
    assert.notEqual(refused.code, 0, refused.stdout);
    // The cause ("self-signed certificate in certificate chain") shows only in BullMQ's
    // console.error noise, depending on timing; the CLI's own line is ioredis' generic
    // "Reached the max retries per request limit".
    assert.match(refused.stderr, /certificate|max retries/i);
    assertNoSecret(refused.stdout + refused.stderr, PASSWORD, 'refused CLI output');

    // A plain-text client cannot talk to the TLS-only server at all.
    const plain = await runLanes(['enqueue', 'rel-mark', '--data', '{"ms":1}', '--tasks', RELIABILITY_TASKS], {
      ...env,
      REDIS_URL: redis.url.replace(/^rediss:/, 'redis:'),
    });
    assert.equal(plain.signal, null, 'the CLI fails by itself, it does not hang');
    assert.notEqual(plain.code, 0);

    await eventually(
      async () => (worker.process.exitCode === null ? true : undefined),
      1000,
      'the TLS worker to be running',
    );
    const exit = await worker.stop();
    assert.equal(exit.code, 0, worker.output().slice(-2000));
    assertNoSecret(worker.output(), PASSWORD, 'TLS worker log');
  });
});

// Read-only means read-only (issue 15, point 8): with LANES_DASHBOARD_READ_ONLY=true the HTTP
// API still created jobs (overwriting any document by `source`, storing one under a false
// source, rebuilding the live index with m=100); 5,000 nested arrays and `content-encoding:
// br` garbage gave 500; LANES_DRAIN_TIMEOUT_MS=3000000000 was accepted and drained in 11 ms.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { LanesClient } from '@lanes/client';
import { REDIS_URL, uniquePrefix, untilHttpOk } from '../support/env.ts';
import { freePort } from '../support/servers.ts';
import { dropRagState, ragTestEnv } from '../rag/helpers.ts';
import { laneCounts, runLanes, spawnLanes, type WorkerProcess } from './helpers.ts';

const NESTED = `${'['.repeat(5000)}${']'.repeat(5000)}`;

async function startDashboard(env: Record<string, string>): Promise<{ process: WorkerProcess; url: string }> {
  const port = await freePort();
  const process = spawnLanes(['dashboard', '--port', String(port), '--host', '127.0.0.1'], {
    ...env,
    LOG_LEVEL: 'warn',
  });
  const url = `http://127.0.0.1:${port}`;
  await untilHttpOk(`${url}/healthz`, 'the dashboard');
  return { process, url };
}

async function send(
  url: string,
  body: string | Uint8Array,
  headers: Record<string, string> = {},
  method = 'POST',
): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method, headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: response.status, text: await response.text() };
}

describe('the dashboard refuses what it must', () => {
  const env = ragTestEnv('readonly', { EMBEDDING_PROVIDER: 'local' });
  const prefix = env.LANES_PREFIX!;
  let readOnly: { process: WorkerProcess; url: string };
  let writable: { process: WorkerProcess; url: string };
  let client: LanesClient;

  before(async () => {
    [readOnly, writable] = await Promise.all([
      startDashboard({ ...env, LANES_DASHBOARD_READ_ONLY: 'true' }),
      startDashboard({ ...env, LANES_PREFIX: `${prefix}-w` }),
    ]);
    client = new LanesClient({ redisUrl: REDIS_URL, prefix });
  });

  after(async () => {
    await Promise.all([readOnly?.process.stop(5000), writable?.process.stop(5000)]);
    await client?.close();
    await dropRagState(env).catch(() => undefined);
  });

  test('read-only: no job is created, whatever the task, and Bull Board changes nothing', async () => {
    const attempts = [
      { task: 'ingest', data: { text: 'forged', source: '/etc/shadow' } },
      { task: 'ingest', data: { text: 'overwrite', source: 'an existing document' } },
      { task: 'rebuild-index', data: { m: 16 } },
    ];
    for (const attempt of attempts) {
      const answer = await send(`${readOnly.url}/api/jobs`, JSON.stringify(attempt));
      assert.equal(answer.status, 403, `${attempt.task}: ${answer.text}`);
      assert.match(answer.text, /READ_ONLY/);
    }
    const empty = await send(`${readOnly.url}/admin/queues/api/queues/default/empty`, '', {}, 'PUT');
    assert.equal(empty.status, 403);
    for (const lane of ['critical', 'default', 'low'] as const) {
      const counts = await laneCounts(client.queues.get(lane));
      assert.equal(
        Object.values(counts).reduce((sum, n) => sum + n, 0),
        0,
        `${lane}: ${JSON.stringify(counts)}`,
      );
    }
  });

  test('rebuild-index parameters are bounded by its contract', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ m: 100 }, /data\.m/],
      [{ efConstruction: 1000 }, /data\.efConstruction/],
      [{ m: 32, efConstruction: 40 }, /at least 2 \* m/],
      [{ m: 1 }, /data\.m/],
    ];
    for (const [data, field] of cases) {
      const answer = await send(`${writable.url}/api/jobs`, JSON.stringify({ task: 'rebuild-index', data }));
      assert.equal(answer.status, 400, `${JSON.stringify(data)}: ${answer.text}`);
      assert.match(answer.text, field);
    }
  });

  test('bad bodies and encodings answer 400 or 415, never 500', async () => {
    const garbage = new Uint8Array(Buffer.from('not compressed at all, just bytes'.repeat(40)));
    const cases: Array<[string, string | Uint8Array, Record<string, string>, number]> = [
      ['5,000 nested arrays as the body', NESTED, {}, 400],
      ['5,000 nested arrays in data', `{"task":"ingest","data":${NESTED}}`, {}, 400],
      [
        '5,000 nested arrays in metadata',
        `{"task":"ingest","data":{"text":"x","source":"s","metadata":{"a":${NESTED}}}}`,
        {},
        400,
      ],
      [
        '5,000 nested objects in metadata',
        `{"task":"ingest","data":{"text":"x","source":"s","metadata":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}}`,
        {},
        400,
      ],
      ['br garbage', garbage, { 'content-encoding': 'br' }, 400],
      ['gzip garbage', garbage, { 'content-encoding': 'gzip' }, 400],
      ['deflate garbage', garbage, { 'content-encoding': 'deflate' }, 400],
      ['an unknown encoding', garbage, { 'content-encoding': 'compress' }, 415],
      ['text/plain', '{"task":"ingest"}', { 'content-type': 'text/plain' }, 415],
      ['a form', 'task=ingest', { 'content-type': 'application/x-www-form-urlencoded' }, 415],
      ['an unknown charset', '{"task":"ingest"}', { 'content-type': 'application/json; charset=latin9' }, 415],
      [
        'br-compressed nesting',
        new Uint8Array(brotliCompressSync(`{"task":"ingest","data":${NESTED}}`)),
        { 'content-encoding': 'br' },
        400,
      ],
    ];
    for (const [what, body, headers, expected] of cases) {
      const answer = await send(`${writable.url}/api/jobs`, body, headers);
      assert.equal(answer.status, expected, `${what}: ${answer.status} ${answer.text.slice(0, 300)}`);
    }
    // A well-formed compressed body is still accepted.
    const good = await send(
      `${writable.url}/api/jobs`,
      new Uint8Array(gzipSync(JSON.stringify({ task: 'ingest', data: { text: 'compressed note', source: 'gz' } }))),
      { 'content-encoding': 'gzip' },
    );
    assert.equal(good.status, 202, good.text);
    assert.equal(writable.process.process.exitCode, null, 'the dashboard is still up');
  });
});

describe('durations beyond what timers hold', () => {
  test('are refused at start-up, naming the variable', { timeout: 120_000 }, async () => {
    const cases: Array<[readonly string[], string]> = [
      [['worker', '--no-builtins'], 'LANES_DRAIN_TIMEOUT_MS'],
      [['worker', '--no-builtins'], 'LANES_LOCK_DURATION_MS'],
      [['worker'], 'LANES_EMBED_TIMEOUT_MS'],
      [['worker'], 'LANES_EXTRACT_TIMEOUT_MS'],
      [['dashboard', '--port', '0'], 'LANES_LOCK_DURATION_MS'],
    ];
    for (const [args, variable] of cases) {
      const run = await runLanes(
        args,
        { REDIS_URL, LANES_PREFIX: uniquePrefix('rel-dur'), [variable]: '3000000000' },
        30_000,
      );
      assert.equal(
        run.code,
        2,
        `lanes ${args[0]} with ${variable}=3000000000: exit ${run.code} ${run.signal ?? ''}\n${run.stderr.slice(-500)}`,
      );
      assert.match(
        run.stderr + run.stdout,
        new RegExp(`${variable} must be <= 2147483647`),
        `stderr: ${run.stderr}\nstdout: ${run.stdout}`,
      );
    }
  });
});

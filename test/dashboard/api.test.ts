import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { builtinContracts, ContractRegistry, defineContract, z, type SearchRequest } from '@lanes/contracts';
import { call, postJson, processJobs, startTestDashboard, type TestDashboard } from './harness.ts';

/** A user task whose payload carries a secret, to check what the API shows of it. */
const callWebhook = defineContract()({
  name: 'call-webhook',
  lane: 'low',
  schema: z.object({ source: z.string(), apiKey: z.string().optional(), fail: z.string().optional() }),
  retry: { attempts: 1 },
});

const STATUS_FIELDS = ['id', 'task', 'queue', 'state', 'progress', 'attemptsMade', 'failedReason', 'result'];

describe('dashboard HTTP API', () => {
  let d: TestDashboard;
  let root: string;
  let searches: SearchRequest[];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'lanes-dash-roots-'));
    await writeFile(join(root, 'doc.md'), '# hello\n');
    searches = [];
    d = await startTestDashboard('api', {
      contracts: new ContractRegistry([...builtinContracts, callWebhook]),
      allowedRoots: [root],
      search: async (request) => {
        searches.push(request);
        return {
          query: request.query,
          results: [
            {
              documentId: 'd1',
              source: 'doc.md',
              chunkIndex: 0,
              score: 0.9,
              page: null,
              heading: 'hello',
              scores: { vector: 0.9 },
              text: 'hello',
            },
          ],
        };
      },
      readinessChecks: [{ name: 'postgres', check: async () => undefined }],
    });
  });

  after(async () => {
    await d?.stop();
    await rm(root, { recursive: true, force: true });
  });

  test('POST /api/jobs enqueues and answers 202 with the job ref; GET /api/jobs/:id has the status shape', async () => {
    const res = await postJson(`${d.url}/api/jobs`, {
      task: 'ingest',
      data: { text: 'some text', source: 'notes.txt' },
      options: { priority: 3 },
    });
    assert.equal(res.status, 202);
    assert.deepEqual(Object.keys(res.body).sort(), ['id', 'queue', 'task']);
    assert.equal(res.body.task, 'ingest');
    assert.equal(res.body.queue, 'default');
    assert.equal(res.headers.get('location'), `/api/jobs/${res.body.id}`);

    const status = await call(`${d.url}/api/jobs/${res.body.id}`);
    assert.equal(status.status, 200);
    for (const field of STATUS_FIELDS) assert.ok(field in status.body, `status has ${field}`);
    assert.equal(status.body.state, 'waiting');
    assert.equal(status.body.queue, 'default');
    assert.equal(status.body.source, 'notes.txt');
  });

  test('options.lane sends a job to another lane', async () => {
    const res = await postJson(`${d.url}/api/jobs`, {
      task: 'ingest',
      data: { text: 'x', source: 'urgent.txt' },
      options: { lane: 'critical' },
    });
    assert.equal(res.status, 202);
    assert.equal(res.body.queue, 'critical');
  });

  test('a bad payload is 400 naming each invalid field', async () => {
    const missing = await postJson(`${d.url}/api/jobs`, { task: 'ingest', data: {} });
    assert.equal(missing.status, 400);
    assert.ok(
      missing.body.fields.some((f: { field: string }) => f.field === 'data.path'),
      JSON.stringify(missing.body),
    );

    const typed = await postJson(`${d.url}/api/jobs`, {
      task: 'rebuild-index',
      data: { m: 'sixteen', efConstruction: 2 },
    });
    assert.equal(typed.status, 400);
    const fields = typed.body.fields.map((f: { field: string }) => f.field).sort();
    assert.deepEqual(fields, ['data.efConstruction', 'data.m']);
    for (const f of typed.body.fields) assert.equal(typeof f.message, 'string');
  });

  test('an unknown task is 400 naming the task', async () => {
    const res = await postJson(`${d.url}/api/jobs`, { task: 'make-coffee', data: {} });
    assert.equal(res.status, 400);
    assert.match(res.body.error, /make-coffee/);
    assert.equal(res.body.fields[0].field, 'task');
    assert.match(res.body.fields[0].message, /make-coffee/);
  });

  test('wrong JSON types and unknown keys in the envelope are 400 naming the fields', async () => {
    const res = await postJson(`${d.url}/api/jobs`, {
      task: 42,
      data: {},
      options: { priority: 'high', lane: 'fast' },
      colour: 'red',
    });
    assert.equal(res.status, 400);
    const fields = res.body.fields.map((f: { field: string }) => f.field).sort();
    assert.deepEqual(fields, ['colour', 'options.lane', 'options.priority', 'task']);

    const array = await postJson(`${d.url}/api/jobs`, [1, 2]);
    assert.equal(array.status, 400);
    assert.equal(array.body.fields[0].field, '(body)');

    const malformed = await postJson(`${d.url}/api/jobs`, '{"task": "ingest",');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.code, 'MALFORMED_JSON');
  });

  test('a body that is not JSON is 415', async () => {
    const res = await call(`${d.url}/api/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"task":"ingest"}',
    });
    assert.equal(res.status, 415);
  });

  test('an oversized body is 413 with a JSON error', async () => {
    const big = { task: 'ingest', data: { text: 'x'.repeat(2 * 1024 * 1024), source: 'big.txt' } };
    const res = await postJson(`${d.url}/api/jobs`, big);
    assert.equal(res.status, 413);
    assert.equal(res.body.code, 'BODY_TOO_LARGE');
    assert.match(res.body.error, /limit/);
  });

  test('ingest paths must lie under the allowed roots', async () => {
    const outside = await postJson(`${d.url}/api/jobs`, { task: 'ingest', data: { path: '/etc/passwd' } });
    assert.equal(outside.status, 400);
    assert.equal(outside.body.fields[0].field, 'data.path');

    const sneaky = await postJson(`${d.url}/api/jobs`, { task: 'ingest', data: { path: `${root}/../../etc/passwd` } });
    assert.equal(sneaky.status, 400);

    const inside = await postJson(`${d.url}/api/jobs`, { task: 'ingest', data: { path: join(root, 'doc.md') } });
    assert.equal(inside.status, 202);
  });

  test('an unknown job id is 404', async () => {
    const res = await call(`${d.url}/api/jobs/does-not-exist`);
    assert.equal(res.status, 404);
    assert.match(res.body.error, /does-not-exist/);
  });

  test('secrets in job data are redacted in the status output', async () => {
    const res = await postJson(`${d.url}/api/jobs`, {
      task: 'call-webhook',
      data: { source: 'hook', apiKey: 'sk-live-0123456789abcdefghij' },
    });
    assert.equal(res.status, 202);
    const status = await call(`${d.url}/api/jobs/${res.body.id}`);
    assert.equal(status.body.data.apiKey, '[redacted]');
    assert.doesNotMatch(JSON.stringify(status.body), /sk-live/);
  });

  test('GET /api/jobs finds jobs by source, task, state and id; bad filters are 400', async () => {
    const a = await postJson(`${d.url}/api/jobs`, {
      task: 'ingest',
      data: { text: 't', source: 'reports/q3-summary.pdf' },
    });
    await postJson(`${d.url}/api/jobs`, { task: 'ingest', data: { text: 't', source: 'reports/q4-summary.pdf' } });

    const bySource = await call(`${d.url}/api/jobs?source=Q3-SUMMARY`);
    assert.equal(bySource.status, 200);
    assert.deepEqual(
      bySource.body.jobs.map((j: { id: string }) => j.id),
      [a.body.id],
    );
    assert.equal(bySource.body.complete, true);

    const byTask = await call(`${d.url}/api/jobs?task=ingest&state=waiting&source=reports/&limit=10`);
    assert.equal(byTask.body.jobs.length, 2);
    for (const job of byTask.body.jobs) assert.equal(job.state, 'waiting');

    const byId = await call(`${d.url}/api/jobs?id=${a.body.id}`);
    assert.equal(byId.body.jobs[0].source, 'reports/q3-summary.pdf');

    const none = await call(`${d.url}/api/jobs?state=failed&source=q3-summary`);
    assert.equal(none.body.jobs.length, 0);

    const bad = await call(`${d.url}/api/jobs?state=sleeping&limit=100000`);
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.fields.map((f: { field: string }) => f.field).sort(), ['limit', 'state']);
  });

  test('GET /api/search answers the search shape; q is required', async () => {
    const res = await call(`${d.url}/api/search?q=hello&k=3`);
    assert.equal(res.status, 200);
    assert.equal(res.body.query, 'hello');
    assert.deepEqual(Object.keys(res.body.results[0]).sort(), [
      'chunkIndex',
      'documentId',
      'heading',
      'page',
      'score',
      'scores',
      'source',
      'text',
    ]);
    assert.deepEqual(searches.at(-1), { query: 'hello', k: 3, mode: 'hybrid' });

    const filtered = await call(
      `${d.url}/api/search?q=hello&mode=lexical&filter=${encodeURIComponent('{"lang":"en"}')}&source=docs/`,
    );
    assert.equal(filtered.status, 200);
    assert.deepEqual(searches.at(-1), {
      query: 'hello',
      k: 10,
      mode: 'lexical',
      filter: { metadata: { lang: 'en' }, sourcePrefix: 'docs/' },
    });

    for (const [query, field] of [
      ['q=%20%20', 'q'],
      ['q=x&mode=semantic', 'mode'],
      ['q=x&filter=%5B1%5D', 'filter'],
      ['q=x&filter=not-json', 'filter'],
      ['q=x&k=101', 'k'],
    ] as const) {
      const bad = await call(`${d.url}/api/search?${query}`);
      assert.equal(bad.status, 400, query);
      assert.equal(bad.body.fields[0].field, field, query);
    }

    const missing = await call(`${d.url}/api/search`);
    assert.equal(missing.status, 400);
    assert.equal(missing.body.fields[0].field, 'q');

    const badK = await call(`${d.url}/api/search?q=x&k=0`);
    assert.equal(badK.status, 400);
    assert.equal(badK.body.fields[0].field, 'k');
  });

  test('GET /api/overview reports depths, throughput and failure rate', async () => {
    // Three webhook jobs on the low lane: two complete, one fails.
    for (const data of [{ source: 'a' }, { source: 'b' }, { source: 'c', fail: 'endpoint said 500' }]) {
      assert.equal(
        (await postJson(`${d.url}/api/jobs`, { task: 'call-webhook', data, options: { lane: 'critical', delayMs: 0 } }))
          .status,
        202,
      );
    }
    await postJson(`${d.url}/api/jobs`, {
      task: 'ingest',
      data: { text: 'later', source: 'later.txt' },
      options: { delayMs: 60_000 },
    });
    await processJobs(d.client, 'critical', 4); // 3 webhooks + the critical ingest of an earlier test

    const res = await call(`${d.url}/api/overview`);
    assert.equal(res.status, 200);
    const o = res.body;
    assert.deepEqual(
      o.lanes.map((l: { lane: string }) => l.lane),
      ['critical', 'default', 'low'],
    );
    const def = o.lanes.find((l: { lane: string }) => l.lane === 'default');
    assert.equal(def.delayed, 1);
    assert.equal(def.backlog, def.waiting + def.prioritized + def.delayed);
    assert.ok(def.prioritized >= 1, 'the priority-3 job counts as prioritized');
    const critical = o.throughput.lanes.find((l: { lane: string }) => l.lane === 'critical');
    // The critical ingest "completes" under the plain worker too.
    assert.equal(critical.completed, 3);
    assert.equal(critical.failed, 1);
    assert.equal(critical.failureRate, 0.25);
    assert.equal(o.throughput.source, 'finished-sets');
    assert.equal(o.lanes.find((l: { lane: string }) => l.lane === 'critical').failed, 1);

    const failed = await call(`${d.url}/api/jobs?state=failed`);
    assert.equal(failed.body.jobs.length, 1);
    assert.equal(failed.body.jobs[0].failedReason, 'endpoint said 500');
  });

  test('/healthz is up; /readyz checks Redis and the injected checks', async () => {
    assert.equal((await call(`${d.url}/healthz`)).status, 200);
    const ready = await call(`${d.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body.checks, { redis: 'ok', postgres: 'ok' });
  });

  test('an unknown route is a JSON 404', async () => {
    const res = await call(`${d.url}/api/nothing-here`);
    assert.equal(res.status, 404);
    assert.equal(res.body.code, 'NOT_FOUND');
  });
});

describe('dashboard readiness when a dependency is down', () => {
  test('/readyz is 503 naming the failing check, without its credentials', async () => {
    const d = await startTestDashboard('ready', {
      readinessChecks: [
        {
          name: 'postgres',
          check: async () =>
            Promise.reject(new Error('connect ECONNREFUSED postgres://lanes:hunter2@127.0.0.1:5999/lanes')),
        },
      ],
      readinessTimeoutMs: 500,
    });
    try {
      const res = await call(`${d.url}/readyz`);
      assert.equal(res.status, 503);
      assert.equal(res.body.checks.redis, 'ok');
      assert.match(res.body.checks.postgres, /ECONNREFUSED/);
      assert.doesNotMatch(res.body.checks.postgres, /hunter2/);

      const hung = await startTestDashboard('hung', {
        readinessChecks: [{ name: 'slow', check: () => new Promise(() => undefined) }],
        readinessTimeoutMs: 200,
      });
      try {
        const started = Date.now();
        const slow = await call(`${hung.url}/readyz`);
        assert.equal(slow.status, 503);
        assert.ok(Date.now() - started < 2000);
      } finally {
        await hung.stop();
      }
    } finally {
      await d.stop();
    }
  });
});

describe('dashboard when Redis is unreachable', () => {
  test('probes and API answer promptly: /healthz 200, /readyz and Redis-bound routes 503', async () => {
    const { startDashboard } = await import('@lanes/dashboard');
    const { createLogger } = await import('@lanes/worker-core');
    // Port 1 refuses connections; the password must never show up in an answer.
    const d = await startDashboard({
      port: 0,
      host: '127.0.0.1',
      config: { redisUrl: 'redis://:hunter2@127.0.0.1:1', prefix: 'unreachable' },
      logger: createLogger('silent'),
      storeTimeoutMs: 300,
      readinessTimeoutMs: 300,
    });
    try {
      assert.equal((await call(`${d.url}/healthz`)).status, 200);
      const ready = await call(`${d.url}/readyz`);
      assert.equal(ready.status, 503);
      assert.notEqual(ready.body.checks.redis, 'ok');
      for (const [path, init] of [
        ['/api/jobs/some-id', {}],
        ['/api/overview', {}],
        [
          '/api/jobs',
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ task: 'ingest', data: { text: 't', source: 's' } }),
          },
        ],
      ] as const) {
        const started = Date.now();
        const res = await call(`${d.url}${path}`, init);
        assert.equal(res.status, 503, path);
        assert.ok(Date.now() - started < 3000, `${path} answered within the store timeout`);
        assert.doesNotMatch(JSON.stringify(res.body), /hunter2/);
      }
      // Validation needs no Redis: a bad payload is still a 400.
      assert.equal((await postJson(`${d.url}/api/jobs`, { task: 'ingest', data: {} })).status, 400);
    } finally {
      await d.close();
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ingest, LANES } from '@lanes/contracts';
import { readAllLaneDepths } from '@lanes/worker-core';
import { call, postJson, startTestDashboard, type TestDashboard } from './harness.ts';

const TOKEN = 'tok-0f3a9c1e7b2d4c6a8e';
const bearer = { authorization: `Bearer ${TOKEN}` };
const basic = (password: string): Record<string, string> => ({
  authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`,
});

describe('dashboard token auth', () => {
  let d: TestDashboard;
  before(async () => {
    d = await startTestDashboard('auth', { token: TOKEN });
  });
  after(async () => {
    await d?.stop();
  });

  test('without the token every API route is 401', async () => {
    for (const path of [
      '/api/overview',
      '/api/jobs',
      '/api/jobs/some-id',
      '/api/search?q=x',
      '/metrics',
      '/',
      '/api/not-a-route',
    ]) {
      const res = await call(`${d.url}${path}`);
      assert.equal(res.status, 401, path);
      assert.equal(res.body.code, 'UNAUTHORIZED', path);
    }
    assert.match((await call(`${d.url}/api/overview`)).headers.get('www-authenticate') ?? '', /^Bearer/);
  });

  test('a POST without the token enqueues nothing', async () => {
    const res = await postJson(`${d.url}/api/jobs`, { task: 'ingest', data: { text: 't', source: 's' } });
    assert.equal(res.status, 401);
    const depths = await readAllLaneDepths((lane) => d.client.queues.get(lane));
    assert.equal(
      depths.reduce((sum, depth) => sum + depth.backlog, 0),
      0,
    );
  });

  test('a wrong or malformed token is 401', async () => {
    for (const authorization of [
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      'Bearer',
      TOKEN,
      `Token ${TOKEN}`,
      basic('wrong').authorization,
    ]) {
      assert.equal((await call(`${d.url}/api/overview`, { headers: { authorization } })).status, 401, authorization);
    }
  });

  test('with the bearer token the API answers', async () => {
    assert.equal((await call(`${d.url}/api/overview`, { headers: bearer })).status, 200);
    assert.equal((await call(`${d.url}/metrics`, { headers: bearer })).status, 200);
    const res = await postJson(`${d.url}/api/jobs`, { task: 'ingest', data: { text: 't', source: 's' } }, bearer);
    assert.equal(res.status, 202);
  });

  test('Bull Board prompts for Basic auth and accepts the token as password or bearer', async () => {
    const refused = await call(`${d.url}/admin/queues`);
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate') ?? '', /^Basic realm="Lanes"/);
    assert.equal((await call(`${d.url}/admin/queues/api/queues`)).status, 401);

    const page = await call(`${d.url}/admin/queues`, { headers: basic(TOKEN) });
    assert.equal(page.status, 200);
    assert.match(page.body, /<title>Lanes<\/title>/);
    const api = await call(`${d.url}/admin/queues/api/queues`, { headers: bearer });
    assert.equal(api.status, 200);
    assert.deepEqual(api.body.queues.map((q: { name: string }) => q.name).sort(), [...LANES].sort());
  });

  test('/healthz and /readyz stay open', async () => {
    assert.equal((await call(`${d.url}/healthz`)).status, 200);
    assert.equal((await call(`${d.url}/readyz`)).status, 200);
  });
});

describe('Bull Board read-only mode', () => {
  test('job creation and mutating Bull Board actions are refused', async () => {
    const d = await startTestDashboard('ro', { readOnly: true });
    try {
      const created = await postJson(`${d.url}/api/jobs`, { task: 'ingest', data: { text: 't', source: 's' } });
      assert.equal(created.status, 403);
      assert.equal(created.body.code, 'READ_ONLY');
      await d.client.enqueue(ingest, { text: 't', source: 's' });
      const queues = await call(`${d.url}/admin/queues/api/queues`);
      assert.ok(queues.body.queues.every((q: { readOnlyMode: boolean }) => q.readOnlyMode === true));
      const clean = await call(`${d.url}/admin/queues/api/queues/default/empty`, { method: 'PUT' });
      assert.ok(clean.status >= 400 && clean.status !== 404, `empty refused, got ${clean.status}`);
      const depths = await readAllLaneDepths((lane) => d.client.queues.get(lane));
      assert.equal(depths.find((depth) => depth.lane === 'default')?.backlog, 1);
    } finally {
      await d.stop();
    }
  });
});

describe('token comparison and redaction', () => {
  test('bearer and basic secrets are extracted; comparison needs the exact token', async () => {
    const { presentedSecret, tokenMatches } = await import('../../packages/dashboard/src/auth.ts');
    assert.equal(presentedSecret(`Bearer ${TOKEN}`), TOKEN);
    assert.equal(presentedSecret(basic(TOKEN).authorization), TOKEN);
    assert.equal(presentedSecret(`Basic ${Buffer.from('no-colon').toString('base64')}`), undefined);
    assert.equal(presentedSecret(undefined), undefined);
    assert.equal(tokenMatches(TOKEN, TOKEN), true);
    assert.equal(tokenMatches(`${TOKEN} `, TOKEN), false);
    assert.equal(tokenMatches('', TOKEN), false);
    assert.equal(tokenMatches(undefined, TOKEN), false);
  });

  test('secret-named fields and secrets inside strings are redacted; counts are not', async () => {
    const { redact } = await import('@lanes/contracts');
    const out = redact({
      apiKey: 'k',
      db: { password: 'p', url: 'postgres://lanes:hunter2@db:5432/lanes' },
      headers: { Authorization: 'Bearer abcdefghijkl' },
      access_token: 't',
      tokens: 1234,
      note: 'used sk-abcdefghijklmnopqrstuvwx for it',
      list: [{ clientSecret: 's' }],
    }) as {
      apiKey: unknown;
      db: Record<string, unknown>;
      headers: Record<string, unknown>;
      access_token: unknown;
      tokens: unknown;
      note: string;
      list: Array<Record<string, unknown>>;
    };
    assert.equal(out.apiKey, '[redacted]');
    assert.equal(out.db.password, '[redacted]');
    assert.equal(out.db.url, 'postgres://lanes:[redacted]@db:5432/lanes');
    assert.equal(out.headers.Authorization, '[redacted]');
    assert.equal(out.access_token, '[redacted]');
    assert.equal(out.tokens, 1234);
    assert.doesNotMatch(out.note, /sk-abc/);
    assert.equal(out.list[0]?.clientSecret, '[redacted]');
  });
});

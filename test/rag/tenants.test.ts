// Tenant-scoped data (CONTRACT.md, "Tenants"; README, "Tenant data"): a document ingested for a
// tenant is found only by searches for that tenant, in every search mode and from the result
// cache; a search without a tenant sees only documents of no tenant. The same source under two
// tenants is two documents; listing and deletion are scoped; a malformed tenant is refused,
// naming `tenant`, by the CLI (exit 2), the HTTP API (400) and the client.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { definedOnly, ingest, SEARCH_MODES, type SearchHit } from '@lanes/contracts';
import { createLogger } from '@lanes/worker-core';
import { startDashboard, type RunningDashboard } from '@lanes/dashboard';
import { MIGRATIONS } from '@lanes/tasks';
import { REDIS_URL } from '../support/env.ts';
import { runCli } from '../support/workers.ts';
import {
  assertLexicalStatisticsMatchLiveChunks,
  dropRagState,
  ingestAndWait,
  ragTestEnv,
  sql,
  startRagWorker,
  withPg,
  type RagWorker,
  type TestEnv,
} from './helpers.ts';

const SHARED =
  'Every handbook closes with the same paragraph: lighthouse keepers trim the lamp wicks each evening at dusk.';
const HANDBOOK = {
  acme: `The acme handbook covers the zeppelin hangar and its mooring mast.\n\n${SHARED}`,
  globex: `The globex handbook covers the quokka enclosure and its feeding rota.\n\n${SHARED}`,
  none: `The shared handbook covers the marmalade kitchen and its copper pans.\n\n${SHARED}`,
} as const;
/** Globex's many documents nearer to the query than acme's: a filter applied after the index scan would leave acme short of k. */
const CROWD = 40;
const crowdText = (i: number): string =>
  `Lighthouse lamp wicks are trimmed at dusk by the keepers, note ${i} of the globex lamp room log.`;
const ACME_NOTES = Array.from(
  { length: 5 },
  (_, i) => `Acme harbour memo ${i}: the tide tables list the lighthouse among ${i + 3} beacons.`,
);
const QUERY = 'lighthouse lamp wicks dusk';

type Scope = 'acme' | 'globex' | undefined;

describe('tenant-scoped data', () => {
  let env: TestEnv;
  let w: RagWorker;
  let dashboard: RunningDashboard;
  let dir: string;
  /** Document ids per scope ('' for no tenant). */
  const owned = new Map<string, Set<string>>();

  const idsOf = (scope: Scope): Set<string> => owned.get(scope ?? '') ?? new Set();
  const assertOwn = (hits: readonly SearchHit[], scope: Scope, what: string): void => {
    assert.ok(hits.length > 0, `${what}: some results`);
    for (const hit of hits)
      assert.ok(
        idsOf(scope).has(hit.documentId),
        `${what}: ${hit.source} #${hit.chunkIndex} (document ${hit.documentId}) belongs to ${scope ?? 'no tenant'}`,
      );
  };

  before(async () => {
    env = ragTestEnv('tenants');
    w = await startRagWorker(env);
    dir = await mkdtemp(join(tmpdir(), 'lanes-tenants-'));
    const client = w.worker.client;
    // Three ways in: the payload's tenant, the job's tenant (options.tenant) alone, and none.
    await ingestAndWait(w, { text: HANDBOOK.acme, source: 'handbook', tenant: 'acme' });
    await (await client.enqueue(ingest, { text: HANDBOOK.globex, source: 'handbook' }, { tenant: 'globex' })).wait({
      timeoutMs: 60_000,
    });
    await ingestAndWait(w, { text: HANDBOOK.none, source: 'handbook' });
    for (const [i, text] of ACME_NOTES.entries()) await ingestAndWait(w, { text, source: `memo-${i}`, tenant: 'acme' });
    const crowd = await client.enqueueBulk(
      ingest,
      Array.from({ length: CROWD }, (_, i) => ({
        payload: { text: crowdText(i), source: `lamp-log-${i}`, tenant: 'globex' },
        options: { tenant: 'globex' },
      })),
    );
    await Promise.all(crowd.map((handle) => handle.wait({ timeoutMs: 120_000 })));
    for (const doc of await w.reader.documents.list()) {
      const ids = owned.get(doc.tenant ?? '') ?? new Set<string>();
      ids.add(doc.id);
      owned.set(doc.tenant ?? '', ids);
    }
    dashboard = await startDashboard({
      client,
      documents: w.reader.documents,
      port: 0,
      host: '127.0.0.1',
      logger: createLogger('silent'),
    });
  });

  after(async () => {
    await dashboard?.close();
    await w?.close();
    await dropRagState(env);
    await rm(dir, { recursive: true, force: true });
  });

  test('the same source under two tenants (and none) is three documents, each with its own tenant', async () => {
    const handbooks = (await w.reader.documents.list({ sources: ['handbook'] })).map((doc) => doc.tenant);
    assert.deepEqual(handbooks.sort(), ['acme', 'globex', null]);
    assert.equal(idsOf('acme').size, 1 + ACME_NOTES.length);
    assert.equal(idsOf('globex').size, 1 + CROWD);
    assert.equal(idsOf(undefined).size, 1);
    const mismatch = await (
      await w.worker.client.enqueue(ingest, { text: 'x y z', source: 'odd', tenant: 'acme' }, { tenant: 'globex' })
    )
      .wait({ timeoutMs: 30_000 })
      .then(
        () => assert.fail('an ingest whose payload and job name different tenants must fail'),
        (error: Error) => error,
      );
    assert.match(mismatch.message, /tenant/);
  });

  test('every search mode returns only the tenant’s chunks; without a tenant only documents of no tenant', async () => {
    for (const mode of SEARCH_MODES) {
      for (const scope of ['acme', 'globex', undefined] as const) {
        const { results } = await w.rag.search(QUERY, 10, { mode, ...definedOnly({ tenant: scope }) });
        assertOwn(results, scope, `${mode} search for ${scope ?? 'no tenant'}`);
      }
      // The shared paragraph's text (one vector, three documents) comes back as each tenant's own chunk.
      const acme = await w.rag.search(SHARED, 3, { mode, tenant: 'acme' });
      assert.ok(
        acme.results.some((hit) => hit.source === 'handbook' && hit.text.includes('lighthouse keepers')),
        `${mode}: acme finds its copy of the shared paragraph`,
      );
      const zeppelin = await w.rag.search('zeppelin hangar mooring mast', 10, { mode, tenant: 'globex' });
      assert.ok(
        zeppelin.results.every((hit) => !hit.text.includes('zeppelin')),
        `${mode}: globex never sees acme's words`,
      );
    }
  });

  test('a tenant search fills k although another tenant’s texts are nearer (the tenant is filtered inside the index scan)', async () => {
    for (const mode of ['vector', 'lexical'] as const) {
      const { results } = await w.rag.search(QUERY, 6, { mode, tenant: 'acme' });
      assert.equal(
        results.length,
        6,
        `${mode}: all of acme's 6 documents, though ${CROWD} globex texts rank above them`,
      );
      assertOwn(results, 'acme', mode);
    }
  });

  test('cached results are per tenant: the same query for another tenant never answers from the first one’s entry', async () => {
    const redis = new Redis(REDIS_URL);
    try {
      const cached = async (): Promise<number> => (await redis.keys(`{${env.LANES_PREFIX}}:rag:search:*`)).length;
      const query = 'lamp wicks trimmed at dusk by keepers';
      const before = await cached();
      const first = await w.rag.search(query, 5, { tenant: 'acme' });
      const again = await w.rag.search(query, 5, { tenant: 'acme' });
      assert.deepEqual(again, JSON.parse(JSON.stringify(first)), 'the second acme search is answered from the cache');
      const other = await w.rag.search(query, 5, { tenant: 'globex' });
      const none = await w.rag.search(query, 5);
      assert.equal(await cached(), before + 3, 'one entry per tenant (and one for no tenant)');
      assertOwn(first.results, 'acme', 'acme');
      assertOwn(other.results, 'globex', 'globex after acme was cached');
      assertOwn(none.results, undefined, 'no tenant after both were cached');
    } finally {
      redis.disconnect();
    }
  });

  test('the client (search job), HTTP and CLI searches are scoped the same way', async () => {
    assertOwn((await w.worker.client.search(QUERY, { tenant: 'acme', k: 5 })).results, 'acme', 'client search');
    const http = (await (
      await fetch(`${dashboard.url}/api/search?${new URLSearchParams({ q: QUERY, tenant: 'globex', mode: 'lexical' })}`)
    ).json()) as { results: SearchHit[] };
    assertOwn(http.results, 'globex', 'GET /api/search?tenant=globex');
    const cli = await runCli(['search', QUERY, '--tenant', 'acme', '--mode', 'vector', '--json'], env);
    assert.equal(cli.code, 0, cli.stderr);
    assertOwn((JSON.parse(cli.stdout) as { results: SearchHit[] }).results, 'acme', 'lanes search --tenant acme');
    const untenanted = await runCli(['search', QUERY, '--json'], env);
    assertOwn(
      (JSON.parse(untenanted.stdout) as { results: SearchHit[] }).results,
      undefined,
      'lanes search without --tenant',
    );
  });

  test('lanes documents --tenant and GET /api/documents?tenant= list only that tenant’s documents; without, every document', async () => {
    const cli = await runCli(['documents', '--tenant', 'acme', '--json'], env);
    assert.equal(cli.code, 0, cli.stderr);
    const listed = (JSON.parse(cli.stdout) as { documents: Array<{ id: string; tenant: string | null }> }).documents;
    assert.deepEqual(new Set(listed.map((doc) => doc.id)), idsOf('acme'));
    assert.ok(listed.every((doc) => doc.tenant === 'acme'));
    const http = (await (await fetch(`${dashboard.url}/api/documents?tenant=globex`)).json()) as {
      documents: Array<{ id: string }>;
    };
    assert.deepEqual(new Set(http.documents.map((doc) => doc.id)), idsOf('globex'));
    const all = (await (await fetch(`${dashboard.url}/api/documents`)).json()) as { documents: unknown[] };
    assert.equal(all.documents.length, idsOf('acme').size + idsOf('globex').size + idsOf(undefined).size);
  });

  test('a malformed tenant is refused naming tenant: CLI exit 2, HTTP 400, client', async () => {
    const file = join(dir, 'note.md');
    await writeFile(file, 'a note');
    const malformed = ['', 'a b', 'x/y', 'a@b', 'é', 'a'.repeat(129)];
    for (const bad of malformed) {
      // The CLI for two of them (each run is a process); the schema is the same one for all.
      for (const args of bad !== '' && bad !== 'a@b'
        ? []
        : [
            ['search', 'lighthouse', '--tenant', bad],
            ['documents', '--tenant', bad],
            ['delete', 'handbook', '--tenant', bad],
            ['ingest', file, '--tenant', bad],
          ]) {
        const run = await runCli(args, env);
        assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
        assert.match(run.stderr, /tenant/, args.join(' '));
      }
      for (const path of [
        `/api/search?${new URLSearchParams({ q: 'lighthouse', tenant: bad })}`,
        `/api/documents?${new URLSearchParams({ tenant: bad })}`,
      ]) {
        const res = await fetch(`${dashboard.url}${path}`);
        assert.equal(res.status, 400, path);
        assert.ok(
          ((await res.json()) as { fields: Array<{ field: string }> }).fields.some((issue) => issue.field === 'tenant'),
          path,
        );
      }
      const post = await fetch(`${dashboard.url}/api/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ task: 'ingest', data: { text: 'x', source: 'x', tenant: bad } }),
      });
      assert.equal(post.status, 400);
      assert.match(await post.text(), /tenant/);
      await assert.rejects(w.worker.client.enqueue(ingest, { text: 'x', source: 'x', tenant: bad }), /tenant/);
      await assert.rejects(w.worker.client.search('lighthouse', { tenant: bad }), /tenant/);
    }
    assert.equal((await w.reader.documents.list({ sources: ['x'] })).length, 0, 'nothing was ingested');
  });

  test('re-ingest and delete are per tenant and keep the BM25 statistics equal to a recount', async () => {
    await assertLexicalStatisticsMatchLiveChunks(env);
    // Acme's handbook changes; globex's and the untenanted one stay as they were.
    await ingestAndWait(w, {
      text: `The acme handbook now covers the airship workshop.\n\n${SHARED}`,
      source: 'handbook',
      tenant: 'acme',
    });
    await assertLexicalStatisticsMatchLiveChunks(env);
    const texts = await sql<{ tenant: string; text: string }>(
      env,
      "SELECT d.tenant, c.text FROM $schema.chunks c JOIN $schema.documents d ON d.id = c.document_id WHERE d.source = 'handbook' AND c.live",
    );
    assert.ok(texts.some((row) => row.tenant === 'acme' && row.text.includes('airship')));
    assert.ok(texts.some((row) => row.tenant === 'globex' && row.text.includes('quokka')));
    assert.ok(texts.every((row) => !row.text.includes('zeppelin')));

    const missing = await runCli(['delete', 'memo-0'], env);
    assert.equal(missing.code, 2, 'memo-0 is acme’s: without --tenant there is no such document');
    assert.match(missing.stderr, /no document of no tenant/);
    const deleted = await runCli(['delete', 'handbook', '--tenant', 'globex', '--json'], env);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.deepEqual(
      (JSON.parse(deleted.stdout) as { deleted: Array<{ tenant: string | null }> }).deleted.map((doc) => doc.tenant),
      ['globex'],
    );
    await assertLexicalStatisticsMatchLiveChunks(env);
    assert.deepEqual((await w.reader.documents.list({ sources: ['handbook'] })).map((doc) => doc.tenant).sort(), [
      'acme',
      null,
    ]);
    const quokka = await w.rag.search('quokka enclosure feeding rota', 5, { tenant: 'globex', mode: 'lexical' });
    assert.ok(
      quokka.results.every((hit) => hit.source !== 'handbook'),
      'the deleted handbook is gone for globex',
    );
    const shared = await w.rag.search(SHARED, 3, { tenant: 'acme', mode: 'vector' });
    assert.ok(
      shared.results.some((hit) => hit.source === 'handbook'),
      "acme's copy of the shared paragraph (and its vector) survived globex's delete",
    );
  });
});

describe('migration 4 on a corpus from before tenants', () => {
  const env = ragTestEnv('tenants-upgrade');
  after(() => dropRagState(env));

  test('existing documents and chunks become documents of no tenant; the same source can then be ingested for a tenant', async () => {
    const schema = `"${env.LANES_PG_SCHEMA}"`;
    await withPg(async (client) => {
      await client.query('BEGIN');
      await client.query(`CREATE SCHEMA ${schema}`);
      await client.query(
        `CREATE TABLE ${schema}.lanes_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      for (const migration of MIGRATIONS.filter((m) => m.version < 4)) {
        await client.query(migration.sql(schema));
        await client.query(`INSERT INTO ${schema}.lanes_migrations (version, name) VALUES ($1, $2)`, [
          migration.version,
          migration.name,
        ]);
      }
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO ${schema}.documents (source, status, chunk_count) VALUES ('old.md', 'ready', 1) RETURNING id`,
      );
      await client.query(
        `INSERT INTO ${schema}.chunks (document_id, generation, chunk_index, text, content_hash, token_count, live) VALUES ($1, 0, 0, 'an old chunk about barnacles', 'h', 5, true)`,
        [rows[0]!.id],
      );
      await client.query('COMMIT');
    });
    const w = await startRagWorker(env);
    try {
      assert.deepEqual(
        (await w.reader.documents.list()).map((doc) => [doc.source, doc.tenant]),
        [['old.md', null]],
      );
      await ingestAndWait(w, { text: 'A new note about barnacles on the pier.', source: 'old.md', tenant: 'acme' });
      const rows = await sql<{ tenant: string; chunk_tenant: string; text: string }>(
        env,
        'SELECT d.tenant, c.tenant AS chunk_tenant, c.text FROM $schema.chunks c JOIN $schema.documents d ON d.id = c.document_id WHERE c.live ORDER BY d.id',
      );
      assert.deepEqual(
        rows.map((row) => [row.tenant, row.chunk_tenant, row.text.includes('old chunk')]),
        [
          ['', '', true],
          ['acme', 'acme', false],
        ],
      );
      const old = await w.rag.search('barnacles', 5, { mode: 'lexical' });
      assert.deepEqual(
        old.results.map((hit) => hit.text),
        ['an old chunk about barnacles'],
        'the old document is found by searches of no tenant only',
      );
      await assertLexicalStatisticsMatchLiveChunks(env);
    } finally {
      await w.close();
    }
  });
});

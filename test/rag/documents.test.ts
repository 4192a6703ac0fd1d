// The corpus as people manage it: `lanes documents`, `lanes delete`, GET and DELETE
// /api/documents, over a real worker, PostgreSQL and Redis. Deleting removes the document's
// chunks and the vectors no other document shares, in one transaction, and search stops
// returning it at once (the corpus version is bumped, so cached results go stale).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingest } from '@lanes/contracts';
import { createLogger } from '@lanes/worker-core';
import { startDashboard, type RunningDashboard } from '@lanes/dashboard';
import { runCli } from '../support/workers.ts';
import type { DocumentView } from '@lanes/tasks';
import { dropRagState, FIXTURES, ragTestEnv, sql, startRagWorker, type RagWorker, type TestEnv } from './helpers.ts';

const SHARED =
  'Both handbooks end with the same paragraph about lighthouse keepers trimming the lamp wicks every evening at dusk.';
const FERNS = `Ferns reproduce with spores rather than seeds, and the spores ripen in sori under each frond.\n\n${SHARED}`;
const COMETS = `Comets grow a tail of dust and ionised gas that always points away from the sun.\n\n${SHARED}`;

describe('documents: listing and deletion', () => {
  let env: TestEnv;
  let w: RagWorker;
  let dir: string;
  let dashboard: RunningDashboard;
  const paths = { ferns: '', comets: '' };

  const vectorTable = async (): Promise<string> =>
    (await sql<{ table_name: string }>(env, 'SELECT table_name FROM $schema.embedding_spaces'))[0]!.table_name;
  const vectorCount = async (): Promise<number> =>
    (await sql<{ n: number }>(env, `SELECT count(*)::int AS n FROM $schema."${await vectorTable()}"`))[0]!.n;

  before(async () => {
    env = ragTestEnv('docs');
    w = await startRagWorker(env);
    dir = await mkdtemp(join(tmpdir(), 'lanes-docs-'));
    paths.ferns = join(dir, 'ferns.md');
    paths.comets = join(dir, 'comets.md');
    await writeFile(paths.ferns, FERNS);
    await writeFile(paths.comets, COMETS);
    for (const path of [paths.ferns, paths.comets])
      await (await w.worker.client.enqueue(ingest, { path })).wait({ timeoutMs: 60_000 });
    dashboard = await startDashboard({
      client: w.worker.client,
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

  test('lanes documents --json lists each document in the contract shape, with its last ingest job', async () => {
    const run = await runCli(['documents', '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const { documents } = JSON.parse(run.stdout) as {
      documents: Array<Record<string, unknown> & { lastJob: { state: string; id: string } | null }>;
    };
    assert.deepEqual(documents.map((doc) => doc.source).sort(), [paths.comets, paths.ferns]);
    for (const doc of documents) {
      for (const key of ['id', 'source', 'tenant', 'state', 'pages', 'chunks', 'updatedAt'])
        assert.ok(key in doc, `${key} in ${JSON.stringify(doc)}`);
      assert.equal(doc.state, 'ready');
      assert.equal(doc.tenant, null);
      assert.equal(doc.pages, 1);
      assert.ok((doc.chunks as number) >= 1);
      assert.ok(!Number.isNaN(Date.parse(doc.updatedAt as string)));
      assert.equal(doc.lastJob?.state, 'completed');
    }
    const human = await runCli(['documents'], env);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /ready\s+1\s+\d+\s+.*ferns\.md/);
  });

  test('GET /api/documents answers the same documents', async () => {
    const res = await fetch(`${dashboard.url}/api/documents`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { documents: Array<{ source: string; state: string }> };
    assert.deepEqual(body.documents.map((doc) => doc.source).sort(), [paths.comets, paths.ferns]);
  });

  test('lanes delete of an unknown source exits 2 naming it and deletes nothing', async () => {
    const run = await runCli(['delete', paths.ferns, '/no/such/doc.md'], env);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /\/no\/such\/doc\.md/);
    assert.equal((await sql(env, 'SELECT 1 FROM $schema.documents')).length, 2);
  });

  test('lanes delete removes the chunks and the vectors only that document used; shared ones stay; search forgets it', async () => {
    const before = await vectorCount();
    const hitBefore = await w.rag.search('spores ripen in sori under each frond', 3);
    assert.equal(hitBefore.results[0]?.source, paths.ferns);

    const run = await runCli(['delete', paths.ferns, '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const body = JSON.parse(run.stdout) as { deleted: Array<{ source: string; chunks: number }>; vectors: number };
    assert.deepEqual(
      body.deleted.map((doc) => doc.source),
      [paths.ferns],
    );
    assert.ok(body.deleted[0]!.chunks >= 1);
    assert.ok(body.vectors >= 1, 'the ferns-only text lost its vector');

    assert.deepEqual(
      (await sql<{ source: string }>(env, 'SELECT source FROM $schema.documents')).map((row) => row.source),
      [paths.comets],
    );
    const orphans = await sql(
      env,
      'SELECT 1 FROM $schema.chunks c WHERE NOT EXISTS (SELECT 1 FROM $schema.documents d WHERE d.id = c.document_id)',
    );
    assert.equal(orphans.length, 0);
    assert.equal(await vectorCount(), before - body.vectors);
    // Every remaining chunk still has its vector: the shared paragraph's was kept.
    const table = await vectorTable();
    const missing = await sql(
      env,
      `SELECT 1 FROM $schema.chunks c WHERE NOT EXISTS (SELECT 1 FROM $schema."${table}" e WHERE e.content_hash = c.content_hash)`,
    );
    assert.equal(missing.length, 0);

    const hitAfter = await w.rag.search('spores ripen in sori under each frond', 3);
    assert.ok(
      hitAfter.results.every((hit) => hit.source !== paths.ferns),
      JSON.stringify(hitAfter.results),
    );
  });

  test('DELETE /api/documents/:id answers 204, then 404; a read-only dashboard refuses with 403', async () => {
    const [doc] = (
      (await (await fetch(`${dashboard.url}/api/documents`)).json()) as { documents: Array<{ id: string }> }
    ).documents;
    const readOnly = await startDashboard({
      client: w.worker.client,
      documents: w.reader.documents,
      readOnly: true,
      port: 0,
      host: '127.0.0.1',
      logger: createLogger('silent'),
    });
    try {
      const refused = await fetch(`${readOnly.url}/api/documents/${doc!.id}`, { method: 'DELETE' });
      assert.equal(refused.status, 403);
      assert.equal(((await refused.json()) as { code: string }).code, 'READ_ONLY');
    } finally {
      await readOnly.close();
    }
    const deleted = await fetch(`${dashboard.url}/api/documents/${doc!.id}`, { method: 'DELETE' });
    assert.equal(deleted.status, 204);
    assert.equal((await fetch(`${dashboard.url}/api/documents/${doc!.id}`, { method: 'DELETE' })).status, 404);
    assert.equal((await fetch(`${dashboard.url}/api/documents/abc`, { method: 'DELETE' })).status, 400);
    assert.equal((await sql(env, 'SELECT 1 FROM $schema.documents')).length, 0);
    assert.equal(await vectorCount(), 0);
  });

  test('a document whose newest ingest failed is listed as failed, with the reason, while its last good version stays', {
    timeout: 60_000,
  }, async () => {
    const path = join(dir, 'manual.pdf');
    await copyFile(join(FIXTURES, 'pdf', 'libtasn1-manual.pdf'), path);
    await (await w.worker.client.enqueue(ingest, { path })).wait({ timeoutMs: 60_000 });
    await eventuallyState(path, 'ready');
    await writeFile(path, '%PDF-1.7\nthis is not a PDF any more\n');
    await assert.rejects((await w.worker.client.enqueue(ingest, { path })).wait({ timeoutMs: 60_000 }));
    const doc = await eventuallyState(path, 'failed');
    assert.equal(doc.lastJob?.state, 'failed');
    assert.ok((doc.lastJob?.failedReason ?? '').length > 5, JSON.stringify(doc.lastJob));
    assert.equal(doc.pages, 36, 'the last good version is still what search sees');
  });

  async function eventuallyState(source: string, state: string): Promise<DocumentView> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const doc = (await w.reader.documents.list()).find((entry) => entry.source === source);
      if (doc?.state === state) return doc;
      if (Date.now() > deadline) throw new Error(`${source} never became ${state}: ${JSON.stringify(doc)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
});

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { ingest, type IngestResult, type PayloadOf } from '@lanes/contracts';
import { JobFailedError } from '@lanes/client';
import { REDIS_URL } from '../support/env.ts';
import { FakeOpenAIServer } from '../support/fake-openai-server.ts';
import {
  dropRagState,
  FIXTURES,
  ingestAndWait,
  openaiEnv,
  ragTestEnv,
  type RagWorker,
  sql,
  startRagWorker,
  type TestEnv,
} from './helpers.ts';

const DOCS = ['hnsw-indexes.md', 'sourdough.txt', 'redis-persistence.md', 'tide-pools.txt'].map((name) =>
  join(FIXTURES, 'docs', name),
);
const PDFS = ['libtasn1-manual.pdf', 'shared-mime-info-spec.pdf'].map((name) => join(FIXTURES, 'pdf', name));

describe('ingest', () => {
  const server = new FakeOpenAIServer();
  let env: TestEnv;
  let w: RagWorker;
  let workDir: string;

  before(async () => {
    await server.start();
    env = ragTestEnv('ingest', openaiEnv(server));
    w = await startRagWorker(env);
    workDir = await mkdtemp(join(tmpdir(), 'lanes-rag-ingest-'));
  });

  after(async () => {
    await w?.close();
    await dropRagState(env);
    await server.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  const run = (payload: PayloadOf<typeof ingest>): Promise<IngestResult> => ingestAndWait(w, payload);

  test('markdown, text and real-world PDFs are ingested, and search puts the right document first', async () => {
    const results = await Promise.all([...DOCS, ...PDFS].map((path) => run({ path })));
    for (const result of results) {
      assert.ok(result.chunks > 0, `${result.source} has chunks`);
      assert.equal(result.removed, 0);
      assert.ok(result.embedded > 0 && result.embedded <= result.chunks);
    }
    const bySource = new Map(results.map((result) => [basename(result.source), result]));
    assert.equal(bySource.get('libtasn1-manual.pdf')!.pages, 36);
    assert.equal(bySource.get('shared-mime-info-spec.pdf')!.pages, 17);

    const expectations: Array<[string, string]> = [
      ['how do I keep a sourdough starter alive and feed it', 'sourdough.txt'],
      ['raise hnsw.ef_search for better recall', 'hnsw-indexes.md'],
      ['append-only file fsync so the queue loses no jobs', 'redis-persistence.md'],
      ['hermit crabs and sea anemones at low tide', 'tide-pools.txt'],
      ['ASN.1 DER encoding and decoding functions of libtasn1', 'libtasn1-manual.pdf'],
      ['MIME type glob patterns and magic rules in the shared database', 'shared-mime-info-spec.pdf'],
    ];
    for (const [query, expected] of expectations) {
      const response = await w.rag.search(query, 5);
      assert.equal(basename(response.results[0]!.source), expected, `top hit for "${query}"`);
      const hit = response.results[0]!;
      assert.ok(hit.score > 0 && hit.score <= 1 && hit.text.length > 0 && Number.isInteger(hit.chunkIndex));
    }
  });

  test('re-ingesting an unchanged document does no embedding work at all', async () => {
    const first = await run({ path: DOCS[0]! });
    server.reset();
    const again = await run({ path: DOCS[0]! });
    assert.equal(again.embedded, 0);
    assert.equal(again.unchanged, first.chunks);
    assert.equal(again.documentId, first.documentId);
    assert.equal(server.requests.length, 0, 'no request reached the embedding API');
    // The same content under another name shares the stored vectors: no API call either.
    const copy = join(workDir, 'copy-of-hnsw.md');
    await writeFile(copy, await (await import('node:fs/promises')).readFile(DOCS[0]!));
    const copied = await run({ path: copy });
    assert.notEqual(copied.documentId, first.documentId);
    assert.equal(server.requests.length, 0, 'identical chunk texts are embedded once across documents');
  });

  test('a changed document re-embeds only its changed chunks and leaves no stale chunks or vectors', async () => {
    const path = join(workDir, 'handbook.md');
    const sections = Array.from(
      { length: 10 },
      (_, i) => `## Section ${i}\n\nSection ${i} explains procedure number ${i} in detail.`,
    );
    await writeFile(path, sections.join('\n\n'));
    const v1 = await run({ path });
    assert.equal(v1.chunks, 10);

    sections[4] = '## Section 4\n\nSection 4 was rewritten: it now covers disaster recovery drills.';
    sections.splice(7, 1);
    await writeFile(path, sections.join('\n\n'));
    server.reset();
    const v2 = await run({ path });
    assert.equal(v2.documentId, v1.documentId);
    assert.equal(v2.chunks, 9);
    assert.equal(v2.embedded, 1, 'only the rewritten section needed a vector');
    assert.equal(v2.removed, 2, 'the old section 4 and the deleted section 7');
    assert.equal(server.inputs(), 1, 'one text sent to the API');

    const chunks = await sql<{ generation: number; live: number }>(
      env,
      `SELECT c.generation, d.generation AS live FROM $schema.chunks c JOIN $schema.documents d ON d.id = c.document_id WHERE d.id = $1`,
      [v2.documentId],
    );
    assert.equal(chunks.length, 9, 'no chunk of an older generation remains');
    assert.ok(chunks.every((row) => row.generation === row.live));
    const orphans = await sql<{ n: number }>(
      env,
      `SELECT count(*)::int AS n FROM $schema.${w.rag.spaces.primary.tableName} e
        WHERE NOT EXISTS (SELECT 1 FROM $schema.chunks c WHERE c.content_hash = e.content_hash)`,
    );
    assert.equal(orphans[0]!.n, 0, 'no vector without a chunk');

    const hits = await w.rag.search('disaster recovery drills', 3);
    assert.match(hits.results[0]!.text, /disaster recovery drills/);
    const stale = await w.rag.search('Section 7 explains procedure number 7 in detail', 10);
    assert.ok(
      stale.results.every((hit) => !hit.text.includes('procedure number 7')),
      'deleted text is not found any more',
    );
  });

  test('inline text with metadata is ingested under its source name', async () => {
    const result = await run({
      text: 'Lanes moves embedding work onto a low lane at night.',
      source: 'note:ops-1',
      metadata: { team: 'ops' },
    });
    assert.equal(result.source, 'note:ops-1');
    assert.equal(result.chunks, 1);
    const rows = await sql<{ metadata: { team: string } }>(
      env,
      `SELECT metadata FROM $schema.documents WHERE source = 'note:ops-1'`,
    );
    assert.deepEqual(rows[0]!.metadata, { team: 'ops' });
  });

  test('progress shows pages parsed and chunks embedded', async () => {
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const events = new QueueEvents('default', { connection, prefix: w.worker.client.prefix });
    await events.waitUntilReady();
    const seen: Array<Record<string, unknown>> = [];
    try {
      const handle = await w.worker.client.enqueue(ingest, { path: PDFS[0]!, source: 'progress-check.pdf' });
      events.on('progress', ({ jobId, data }) => {
        if (jobId === handle.id) seen.push(data as Record<string, unknown>);
      });
      await handle.wait({ timeoutMs: 60_000 });
      const status = await w.worker.client.status(handle.id);
      assert.equal(status.state, 'completed');
      assert.deepEqual((status.progress as Record<string, unknown>).stage, 'done');
    } finally {
      await events.close();
      connection.disconnect();
    }
    // Progress events are throttled: on a fast machine the whole PDF may be parsed between two
    // of them, so the count can first show up at the chunking stage.
    const parsed = seen.filter((p) => typeof p.pagesParsed === 'number' && (p.pagesParsed as number) > 0);
    assert.ok(parsed.length > 0, `pages parsed reported (saw ${JSON.stringify(seen)})`);
    assert.ok(parsed.some((p) => p.pagesTotal === 36));
    assert.ok(seen.some((p) => p.stage === 'done' && p.chunksTotal !== undefined));
  });

  test('bad documents fail once with a readable reason, and the worker keeps going', async () => {
    const cases: Array<[string, RegExp]> = [
      ['bad/encrypted.pdf', /encrypted/],
      ['bad/truncated.pdf', /not a valid PDF|corrupt|malformed/],
      ['bad/corrupt.pdf', /not a valid PDF|corrupt|malformed/],
      ['bad/empty.pdf', /empty \(0 bytes\)/],
      ['bad/blank.pdf', /no extractable text/],
      ['bad/junk.txt', /binary/],
      ['bad/latin1.txt', /not valid UTF-8/],
      ['bad/report.docx', /unsupported document type/],
      ['bad/does-not-exist.txt', /not found/],
    ];
    const handles = await Promise.all(
      cases.map(([file]) => w.worker.client.enqueue(ingest, { path: join(FIXTURES, file) })),
    );
    for (const [i, handle] of handles.entries()) {
      const [file, reason] = cases[i]!;
      await assert.rejects(handle.wait({ timeoutMs: 30_000 }), (error: unknown) => {
        assert.ok(error instanceof JobFailedError);
        assert.match(error.message, reason, file);
        return true;
      });
      const status = await w.worker.client.status(handle.id);
      assert.equal(status.state, 'failed');
      assert.equal(status.attemptsMade, 1, `${file} was not retried`);
      assert.match(status.failedReason ?? '', reason);
    }
    const good = await run({
      text: 'The worker is still healthy after all those bad files.',
      source: 'after-bad-files',
    });
    assert.equal(good.chunks, 1);
  });

  test('a document larger than the size cap is refused without reading it', async () => {
    const capped = await startRagWorker({
      ...env,
      LANES_PREFIX: `${env.LANES_PREFIX}-cap`,
      LANES_MAX_DOCUMENT_BYTES: '1000',
    });
    try {
      const handle = await capped.worker.client.enqueue(ingest, { path: PDFS[1]! });
      await assert.rejects(
        handle.wait({ timeoutMs: 20_000 }),
        /more than the limit of 1000 \(LANES_MAX_DOCUMENT_BYTES\)/,
      );
    } finally {
      await capped.close();
    }
  });
});

// Nothing half-written: ingest jobs that fail (the embedding API refuses them for good) or vanish
// after staging a generation leave it pending; the `reconcile` task (two at once, as on many
// workers) rolls each back: a live document returns to its previous live state (chunks,
// content hash, metadata), one that never was live disappears, and no vector is left that only
// the abandoned chunks referenced. Checked through PostgreSQL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { Redis } from 'ioredis';
import { ingest, reconcile, type JobRef, type ReconcileResult } from '@lanes/contracts';
import { LanesClient } from '@lanes/client';
import { outcomeKey } from '@lanes/queue';
import { eventually, REDIS_URL } from '../support/env.ts';
import { FakeOpenAIServer } from '../support/fake-openai-server.ts';
import { dropRagState, openaiEnv, ragTestEnv, type TestEnv } from '../rag/helpers.ts';
import { laneCounts, spawnLanesWorker, type WorkerProcess } from './helpers.ts';
import { CLEAN, integrity, snapshotCorpus } from './rag-support.ts';

/** A document of `n` paragraphs, each its own chunk at LANES_CHUNK_TOKENS=64. */
function text(label: string, n: number): string {
  return Array.from(
    { length: n },
    (_, i) =>
      `${label} paragraph ${i}: ${Array.from({ length: 40 }, (_, w) => `word${(i * 41 + w) % 97}${label.length}`).join(' ')}.`,
  ).join('\n\n');
}

interface DocumentRow {
  readonly source: string;
  readonly generation: number;
  readonly content_hash: string | null;
  readonly metadata: unknown;
  readonly chunk_count: number;
  readonly pending_generation: number | null;
  readonly chunks: string[];
}

describe('reconciling half-written documents', () => {
  const server = new FakeOpenAIServer();
  let env: TestEnv;
  let worker: WorkerProcess | undefined;
  let client: LanesClient | undefined;
  let db: pg.Client | undefined;

  before(async () => {
    await server.start();
    env = ragTestEnv(
      'reconcile',
      openaiEnv(server, {
        LOG_LEVEL: 'warn',
        LANES_CHUNK_TOKENS: '64',
        LANES_CHUNK_OVERLAP: '0',
        LANES_EMBED_CHUNKS_PER_JOB: '2',
      }),
    );
  });

  after(async () => {
    await worker?.stop(5000);
    await client?.close();
    await db?.end();
    await dropRagState(env).catch(() => undefined);
    await server.stop();
  });

  async function documents(): Promise<DocumentRow[]> {
    const s = `"${env.LANES_PG_SCHEMA}"`;
    const { rows } = await db!.query<DocumentRow>(
      `SELECT d.source, d.generation, d.content_hash, d.metadata, d.chunk_count, d.pending_generation,
              coalesce((SELECT array_agg(c.generation || ':' || c.chunk_index || ':' || c.content_hash ORDER BY c.generation, c.chunk_index)
                          FROM ${s}.chunks c WHERE c.document_id = d.id), '{}') AS chunks
         FROM ${s}.documents d ORDER BY d.source`,
    );
    return rows;
  }

  async function ended(refs: readonly JobRef[]): Promise<string[]> {
    return Promise.all(
      refs.map((ref) =>
        client!.wait(ref.id, { timeoutMs: 60_000 }).then(
          () => 'completed',
          (error: Error) => `failed: ${error.message}`,
        ),
      ),
    );
  }

  test('failed and vanished ingests are rolled back to the live state; idempotent; safe twice at once', {
    timeout: 180_000,
  }, async (t) => {
    worker = spawnLanesWorker({
      redisUrl: REDIS_URL,
      prefix: env.LANES_PREFIX!,
      env,
      builtins: true,
      args: ['--concurrency', '4'],
    });
    client = new LanesClient({ redisUrl: REDIS_URL, prefix: env.LANES_PREFIX! });
    db = new pg.Client({ connectionString: env.DATABASE_URL });
    await db.connect();

    const v1 = await client.enqueue(ingest, { text: text('alpha', 6), source: 'a.txt', metadata: { version: 1 } });
    assert.deepEqual(await ended([v1]), ['completed']);
    const [liveBefore] = await documents();

    // The API refuses one request for good: that batch-embed child fails, and with it its
    // parent, while its sibling children go on writing vectors for the staged chunks.
    server.inject({ kind: 'insufficient-quota', times: 1 });
    const v2 = await client.enqueue(ingest, {
      text: text('alpha-changed', 6),
      source: 'a.txt',
      metadata: { version: 2 },
    });
    assert.match((await ended([v2]))[0]!, /^failed/);
    server.inject({ kind: 'insufficient-quota', times: Infinity });
    const fresh = await client.enqueueBulk(ingest, [
      { payload: { text: text('bravo', 4), source: 'b.txt' } },
      { payload: { text: text('charlie', 4), source: 'c.txt' } },
    ]);
    assert.deepEqual(
      (await ended(fresh)).map((end) => end.slice(0, 6)),
      ['failed', 'failed'],
    );
    server.reset();
    await eventually(
      async () => {
        const counts = await Promise.all(client!.queues.all().map((queue) => laneCounts(queue)));
        return counts.every((c) => c.active + c.wait + c.delayed + c.prioritized + c['waiting-children'] === 0)
          ? true
          : undefined;
      },
      60_000,
      'every child to settle',
    );
    // c.txt's job vanishes altogether (record and outcome): its staging has no job left.
    const vanished = fresh[1]!;
    await (await client.locate(vanished.id))!.job.remove();
    const redis = new Redis(REDIS_URL);
    await redis.del(outcomeKey(client.prefix, vanished.queue, vanished.id));
    redis.disconnect();

    const halfWritten = await documents();
    assert.deepEqual(
      halfWritten.map((d) => [d.source, d.pending_generation !== null]),
      [
        ['a.txt', true],
        ['b.txt', true],
        ['c.txt', true],
      ],
      'each failed or vanished ingest left a pending generation',
    );
    assert.deepEqual(halfWritten[0]!.metadata, { version: 1 }, 'a staged version does not touch the live metadata');

    // Two reconcilers at once, as two workers' schedules would run them.
    const runs = (await Promise.all(
      [0, 1].map(async () => (await client!.enqueue(reconcile, {})).wait({ timeoutMs: 60_000 })),
    )) as ReconcileResult[];
    const rolledBack = runs.reduce((sum, r) => sum + r.rolledBack, 0);
    assert.equal(rolledBack, 3, `the three stagings were rolled back once (${JSON.stringify(runs)})`);
    assert.equal(
      runs.reduce((sum, r) => sum + r.finished, 0),
      0,
    );

    const reconciled = await documents();
    assert.deepEqual(
      reconciled,
      [liveBefore],
      'a.txt is back to its live state (same generation, hash, metadata, chunks); b.txt and c.txt, never live, are gone',
    );
    const snapshot = await snapshotCorpus(env.DATABASE_URL!, env.LANES_PG_SCHEMA!);
    assert.deepEqual(integrity(snapshot), CLEAN, 'no pending generation, stale chunk or orphan vector is left');

    const again = (await (await client.enqueue(reconcile, {})).wait({ timeoutMs: 60_000 })) as ReconcileResult;
    assert.deepEqual(
      again,
      { examined: 0, finished: 0, rolledBack: 0, skipped: false },
      'a second pass finds nothing to do',
    );

    // The document takes a new version as usual afterwards.
    const v3 = await client.enqueue(ingest, {
      text: text('alpha-changed', 6),
      source: 'a.txt',
      metadata: { version: 3 },
    });
    assert.deepEqual(await ended([v3]), ['completed']);
    const [live] = await documents();
    assert.deepEqual(live!.metadata, { version: 3 });
    assert.deepEqual(integrity(await snapshotCorpus(env.DATABASE_URL!, env.LANES_PG_SCHEMA!)), CLEAN);
    t.diagnostic(
      `rolled back 3 stagings (${runs.map((r) => JSON.stringify(r)).join(', ')}); ${snapshot.vectors} vectors left, 0 orphans; rows duplicated 0`,
    );
  });

  test('a staging whose job vanished after all its vectors were written is finished', {
    timeout: 120_000,
  }, async (t) => {
    const own = ragTestEnv('reconcile-finish', {
      LOG_LEVEL: 'warn',
      LANES_CHUNK_TOKENS: '64',
      LANES_CHUNK_OVERLAP: '0',
      LANES_EMBED_CHUNKS_PER_JOB: '2',
    });
    const spawned: WorkerProcess[] = [];
    const ownClient = new LanesClient({ redisUrl: REDIS_URL, prefix: own.LANES_PREFIX! });
    const spawn = (lanes: string): WorkerProcess => {
      const w = spawnLanesWorker({
        redisUrl: REDIS_URL,
        prefix: own.LANES_PREFIX!,
        env: own,
        builtins: true,
        args: ['--queues', lanes],
      });
      spawned.push(w);
      return w;
    };
    try {
      // The ingest runs on the low lane, its batch-embed children on default: the worker of the
      // low lane stages and suspends, then stops, so nobody resumes the parent to promote.
      const stager = spawn('low');
      const handle = await ownClient.enqueue(ingest, { text: text('delta', 6), source: 'd.txt' }, { lane: 'low' });
      const low = ownClient.queues.get('low');
      await eventually(
        async () => ((await low.getJobState(handle.id)) === 'waiting-children' ? true : undefined),
        60_000,
        'the ingest to stage and wait for its children',
      );
      await stager.stop();
      spawn('default');
      await eventually(
        async () => ((await low.getJobState(handle.id)) === 'waiting' ? true : undefined),
        60_000,
        'every child to complete',
      );
      // The job vanishes with its vectors all written.
      await (await ownClient.locate(handle.id))!.job.remove();
      spawn('low');
      const result = (await (await ownClient.enqueue(reconcile, {})).wait({ timeoutMs: 60_000 })) as ReconcileResult;
      assert.deepEqual(result, { examined: 1, finished: 1, rolledBack: 0, skipped: false });
      const snapshot = await snapshotCorpus(own.DATABASE_URL!, own.LANES_PG_SCHEMA!);
      assert.deepEqual(integrity(snapshot), CLEAN);
      assert.equal(snapshot.ready, 1, 'd.txt is live');
      t.diagnostic(`finished 1 staging of ${snapshot.liveChunks} chunks whose job had vanished`);
    } finally {
      await Promise.all(spawned.map((w) => w.stop(5000)));
      await ownClient.close();
      await dropRagState(own).catch(() => undefined);
    }
  });
});

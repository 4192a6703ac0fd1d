// The embedding API misbehaves on a large share of requests (429 with retry-after, 500, hanging
// requests, malformed JSON, reset connections), injected at random by a proxy in front of the
// fake OpenAI server, while two worker processes ingest a corpus with small embedding batches
// (many API calls). Every job completes or fails with a readable reason after its attempts;
// PostgreSQL ends with exactly the rows of a clean run (no duplicates, no orphans), and the
// shared request budget holds across both processes, retries included.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingest } from '@lanes/contracts';
import { LanesClient } from '@lanes/client';
import { REDIS_URL } from '../support/env.ts';
import { FakeOpenAIServer } from '../support/fake-openai-server.ts';
import { DATABASE_URL, dropRagState, openaiEnv, ragTestEnv, startRagWorker, type TestEnv } from '../rag/helpers.ts';
import { FaultProxy } from './fault-proxy.ts';
import { seededRandom, spawnLanesWorker, type WorkerProcess } from './helpers.ts';
import {
  CLEAN,
  FIXTURE_DOCS,
  integrity,
  settle,
  snapshotCorpus,
  writeCorpus,
  type CorpusSnapshot,
} from './rag-support.ts';

const FAULT_RATE = Number(process.env.LANES_FAULT_RATE ?? 0.4);
const BUDGET_WINDOW_MS = 1000;
const BUDGET_PER_WINDOW = 8;
/** Small batches and children, so the corpus needs many API calls. */
const SETTINGS = {
  LANES_EMBED_BATCH_SIZE: '2',
  LANES_EMBED_CHUNKS_PER_JOB: '4',
  LANES_EMBED_TIMEOUT_MS: '1500',
  LOG_LEVEL: 'warn',
};

describe('embedding API faults at a high rate', () => {
  const server = new FakeOpenAIServer();
  const seed = Number(process.env.LANES_FAULT_SEED ?? Date.now() % 1_000_000);
  let proxy: FaultProxy;
  let dir: string;
  let corpus: string[];
  const envs: TestEnv[] = [];
  const workers: WorkerProcess[] = [];
  const clients: LanesClient[] = [];

  before(async () => {
    await server.start();
    proxy = new FaultProxy({
      upstream: server.url,
      rate: FAULT_RATE,
      mix: { 'rate-limit': 35, 'server-error': 30, 'malformed-json': 15, hang: 10, reset: 10 },
      random: seededRandom(seed),
      retryAfterMs: 300,
    });
    await proxy.start();
    dir = mkdtempSync(join(tmpdir(), 'lanes-embed-faults-'));
    corpus = [...writeCorpus(join(dir, 'corpus'), 10), ...FIXTURE_DOCS];
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.stop(5000)));
    await Promise.all(clients.map((c) => c.close()));
    for (const env of envs) await dropRagState(env).catch(() => undefined);
    await proxy.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test(`${Math.round(FAULT_RATE * 100)}% of API calls fail: every job completes or fails clearly, no duplicate rows, the budget holds`, {
    timeout: 200_000,
  }, async (t) => {
    // Reference: the same corpus against the healthy fake server.
    const refEnv = ragTestEnv('faultref', openaiEnv(server, SETTINGS));
    envs.push(refEnv);
    const reference = await startRagWorker(refEnv);
    let clean: CorpusSnapshot;
    try {
      const handles = await reference.worker.client.enqueueBulk(
        ingest,
        corpus.map((path) => ({ payload: { path } })),
      );
      const statuses = await settle(
        reference.worker.client,
        handles.map((h) => h.id),
        120_000,
        'reference ingest jobs',
      );
      assert.deepEqual(
        statuses.filter((s) => s.state !== 'completed').map((s) => s.failedReason),
        [],
      );
      clean = await snapshotCorpus(DATABASE_URL, refEnv.LANES_PG_SCHEMA!);
    } finally {
      await reference.close();
    }
    const cleanCalls = server.calls();

    // The faulty run: two worker processes sharing one request budget, through the proxy.
    const env = ragTestEnv(
      'faults',
      openaiEnv(server, {
        ...SETTINGS,
        OPENAI_BASE_URL: proxy.url,
        LANES_EMBED_BUDGET_WINDOW_MS: String(BUDGET_WINDOW_MS),
        LANES_EMBED_RPM: String((BUDGET_PER_WINDOW * 60_000) / BUDGET_WINDOW_MS),
      }),
    );
    envs.push(env);
    for (let i = 0; i < 2; i += 1) {
      workers.push(
        spawnLanesWorker({
          redisUrl: REDIS_URL,
          prefix: env.LANES_PREFIX!,
          env,
          builtins: true,
          args: ['--concurrency', '4'],
        }),
      );
    }
    const client = new LanesClient({ redisUrl: REDIS_URL, prefix: env.LANES_PREFIX! });
    clients.push(client);
    const started = Date.now();
    const handles = await client.enqueueBulk(
      ingest,
      corpus.map((path) => ({ payload: { path } })),
    );
    const statuses = await settle(
      client,
      handles.map((h) => h.id),
      170_000,
      'ingest jobs under API faults',
    );
    const elapsed = Date.now() - started;

    const failed = statuses.filter((s) => s.state === 'failed');
    for (const status of failed) {
      const reason = status.failedReason ?? '';
      assert.ok(
        reason.length > 0 && reason.length < 1000 && !/\[object Object\]/.test(reason),
        `readable reason for ${status.id}: ${reason}`,
      );
      assert.match(reason, /embed|HTTP|429|500|timed? ?out|JSON|rate|connection|socket/i);
    }
    for (const w of workers)
      assert.equal(w.process.exitCode, null, `worker ${w.pid} kept running:\n${w.output().slice(-2000)}`);

    const faulty = await snapshotCorpus(DATABASE_URL, env.LANES_PG_SCHEMA!);
    assert.equal(faulty.duplicateChunks, 0);
    assert.equal(faulty.orphanVectors, 0);
    assert.equal(faulty.staleChunks, 0);
    if (failed.length === 0) {
      assert.deepEqual(integrity(faulty), CLEAN);
      assert.deepEqual(faulty.signature, clean.signature, 'the same chunks and vectors as the clean run');
      assert.equal(faulty.vectors, clean.vectors);
    }

    // The shared budget: requests reaching the API (retries included) never exceed a full bucket
    // plus one window's refill in any window, across both processes (25% slack for the time
    // between taking from the budget and arriving at the proxy on a loaded machine).
    const peak = proxy.peakInWindow(BUDGET_WINDOW_MS);
    assert.ok(
      peak <= Math.ceil(2 * BUDGET_PER_WINDOW * 1.25),
      `${peak} requests in one ${BUDGET_WINDOW_MS} ms window (budget ${BUDGET_PER_WINDOW})`,
    );
    assert.ok(proxy.injected >= 15, `only ${proxy.injected} faults injected`);
    t.diagnostic(
      `seed ${seed}; ${proxy.arrivals.length} API calls (clean run: ${cleanCalls}), ${proxy.injected} faults injected ` +
        `(${Object.entries(proxy.faults)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}); peak ${peak}/${BUDGET_WINDOW_MS} ms (budget ${BUDGET_PER_WINDOW})`,
    );
    t.diagnostic(
      `${statuses.length} ingest jobs: ${statuses.length - failed.length} completed, ${failed.length} failed clearly; ` +
        `${statuses.filter((s) => s.attemptsMade > 1).length} needed more than one attempt; ${faulty.liveChunks} chunks, ${faulty.vectors} vectors (clean ${clean.vectors}); duplicated rows 0; ${elapsed} ms`,
    );
  });
});

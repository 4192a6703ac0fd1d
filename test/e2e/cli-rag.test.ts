import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { dropRagState, ragTestEnv } from '../rag/helpers.ts';
import { eventually, REPO_ROOT } from '../support/env.ts';
import { CLI, runCli } from '../support/workers.ts';

/** The user's path through the CLI: a worker with the built-ins, ingest, search, status. */
describe('lanes CLI over the built-in RAG tasks', () => {
  const env = ragTestEnv('cli', { LANES_REBUILD_INDEX_CRON: '0 4 * * *', LOG_LEVEL: 'info' });
  const worker = spawn(process.execPath, [CLI, 'worker', '--concurrency', '2'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let workerLog = '';
  worker.stderr.on('data', (chunk: Buffer) => (workerLog += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => worker.on('exit', (code) => resolve(code)));

  before(async () => {
    await eventually(async () => (workerLog.includes('worker started') ? true : undefined), 30_000, 'the worker to start');
  });
  after(async () => {
    worker.kill('SIGTERM');
    await exited;
    await dropRagState(env);
  });

  test('ingest --wait --json reports each job completed with its result', async () => {
    const run = await runCli(['ingest', join(REPO_ROOT, 'samples', 'lanes-architecture.md'), join(REPO_ROOT, 'samples', 'operations-runbook.md'), '--wait', '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const body = JSON.parse(run.stdout) as { jobs: Array<{ id: string; task: string; queue: string; state: string; result: { chunks: number }; failedReason: string | null }> };
    assert.equal(body.jobs.length, 2);
    for (const job of body.jobs) {
      assert.equal(job.task, 'ingest');
      assert.equal(job.queue, 'default');
      assert.equal(job.state, 'completed');
      assert.equal(job.failedReason, null);
      assert.ok(job.result.chunks > 0);
    }
  });

  test('search --json answers in the CONTRACT shape, best first', async () => {
    const run = await runCli(['search', 'why', 'three', 'lanes', 'and', 'separate', 'worker', 'slots', '-k', '3', '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const body = JSON.parse(run.stdout) as { query: string; results: Array<{ documentId: string; source: string; chunkIndex: number; score: number; text: string }> };
    assert.equal(body.query, 'why three lanes and separate worker slots');
    assert.ok(body.results.length > 0 && body.results.length <= 3);
    assert.match(body.results[0]!.source, /lanes-architecture\.md$/);
    assert.deepEqual(Object.keys(body.results[0]!).sort(), ['chunkIndex', 'documentId', 'score', 'source', 'text']);
    const scores = body.results.map((hit) => hit.score);
    assert.deepEqual([...scores].sort((a, b) => b - a), scores);
  });

  test('a missing file is bad usage (exit 2); an unsupported one fails its job (exit 1) with a reason', async () => {
    const missing = await runCli(['ingest', '/no/such/file.pdf'], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /does not exist/);
    const unsupported = await runCli(['ingest', join(REPO_ROOT, 'package.json'), '--wait', '--json'], env);
    assert.equal(unsupported.code, 1);
    const job = (JSON.parse(unsupported.stdout) as { jobs: Array<{ state: string; failedReason: string }> }).jobs[0]!;
    assert.equal(job.state, 'failed');
    assert.ok(job.failedReason.length > 10, job.failedReason);
  });

  test('the worker registered the nightly rebuild schedule once', async () => {
    const run = await runCli(['status', 'no-such-id', '--json'], env);
    assert.equal(run.code, 1);
    assert.equal(JSON.parse(run.stdout).state, 'unknown');
    const { Queue } = await import('bullmq');
    const { Redis } = await import('ioredis');
    const connection = new Redis(env.REDIS_URL!);
    const low = new Queue('low', { connection, prefix: `{${env.LANES_PREFIX}}` });
    try {
      const schedulers = await low.getJobSchedulers();
      assert.deepEqual(schedulers.map((s) => s.pattern), ['0 4 * * *']);
    } finally {
      await low.close();
      connection.disconnect();
    }
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropRagState, ragTestEnv } from '../rag/helpers.ts';
import { eventually, REPO_ROOT } from '../support/env.ts';
import { CLI, runCli } from '../support/workers.ts';

/** The user's path through the CLI: a worker with the built-ins, ingest, search, status. */
describe('lanes CLI over the built-in RAG tasks', () => {
  const env = ragTestEnv('cli', { LANES_REBUILD_INDEX_CRON: '0 4 * * *', LOG_LEVEL: 'info' });
  const worker = spawn(process.execPath, [CLI, 'worker', '--concurrency', '2'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let workerLog = '';
  worker.stderr.on('data', (chunk: Buffer) => (workerLog += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => worker.on('exit', (code) => resolve(code)));

  before(async () => {
    await eventually(
      async () => (workerLog.includes('worker started') ? true : undefined),
      30_000,
      'the worker to start',
    );
  });
  after(async () => {
    worker.kill('SIGTERM');
    await exited;
    await dropRagState(env);
  });

  test('ingest --wait --json reports each job completed with its result', async () => {
    const run = await runCli(
      [
        'ingest',
        join(REPO_ROOT, 'samples', 'lanes-architecture.md'),
        join(REPO_ROOT, 'samples', 'operations-runbook.md'),
        '--wait',
        '--json',
      ],
      env,
    );
    assert.equal(run.code, 0, run.stderr);
    const body = JSON.parse(run.stdout) as {
      jobs: Array<{
        id: string;
        task: string;
        queue: string;
        state: string;
        result: { chunks: number };
        failedReason: string | null;
      }>;
    };
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
    const run = await runCli(
      ['search', 'why', 'three', 'lanes', 'and', 'separate', 'worker', 'slots', '-k', '3', '--json'],
      env,
    );
    assert.equal(run.code, 0, run.stderr);
    const body = JSON.parse(run.stdout) as {
      query: string;
      results: Array<{ documentId: string; source: string; chunkIndex: number; score: number; text: string }>;
    };
    assert.equal(body.query, 'why three lanes and separate worker slots');
    assert.ok(body.results.length > 0 && body.results.length <= 3);
    assert.match(body.results[0]!.source, /lanes-architecture\.md$/);
    assert.deepEqual(Object.keys(body.results[0]!).sort(), [
      'chunkIndex',
      'documentId',
      'heading',
      'page',
      'score',
      'scores',
      'source',
      'text',
    ]);
    const scores = body.results.map((hit) => hit.score);
    assert.deepEqual(
      [...scores].sort((a, b) => b - a),
      scores,
    );
  });

  test('search --mode and --source choose the ranking and the documents; bad input exits 2 naming the field', async () => {
    for (const mode of ['lexical', 'vector', 'hybrid']) {
      const run = await runCli(
        ['search', 'worker', 'slots', '--mode', mode, '--source', join(REPO_ROOT, 'samples', 'operations'), '--json'],
        env,
      );
      assert.equal(run.code, 0, run.stderr);
      const body = JSON.parse(run.stdout) as { results: Array<{ source: string; scores: Record<string, number> }> };
      assert.ok(body.results.length > 0, mode);
      for (const hit of body.results) assert.match(hit.source, /operations-runbook\.md$/);
      if (mode !== 'hybrid') for (const hit of body.results) assert.deepEqual(Object.keys(hit.scores), [mode]);
    }
    for (const [args, field] of [
      [['search', '   '], 'QUERY'],
      [['search', 'x', '--mode', 'semantic'], '--mode'],
      [['search', 'x', '--filter', '[1]'], '--filter'],
      [['search', 'x', '--filter', '{oops'], '--filter'],
      [['search', 'x', '-k', '101'], '-k'],
    ] as const) {
      const run = await runCli([...args], env);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.ok(run.stderr.includes(field), `${args.join(' ')} names ${field}: ${run.stderr}`);
    }
  });

  test('eval reports hit@1, hit@k, MRR@10 and nDCG@10 per mode; a bad file exits 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lanes-eval-'));
    try {
      const file = join(dir, 'cases.jsonl');
      await writeFile(
        file,
        [
          JSON.stringify({
            query: 'why three lanes and separate worker slots',
            expect: [{ source: 'lanes-architecture.md' }],
          }),
          JSON.stringify({
            query: 'no such passage anywhere',
            expect: [{ source: 'lanes-architecture.md', text: 'a phrase the samples do not contain' }],
          }),
        ].join('\n'),
      );
      const run = await runCli(['eval', file, '-k', '5', '--json'], env);
      assert.equal(run.code, 0, run.stderr);
      const report = JSON.parse(run.stdout) as {
        k: number;
        queries: number;
        modes: Record<string, Record<string, number>>;
      };
      assert.equal(report.queries, 2);
      assert.deepEqual(Object.keys(report.modes).sort(), ['hybrid', 'lexical', 'vector']);
      for (const metrics of Object.values(report.modes)) {
        assert.deepEqual(Object.keys(metrics).sort(), ['hit@1', 'hit@k', 'mrr@10', 'ndcg@10']);
        assert.equal(metrics['hit@k'], 0.5, 'the first case is answered within 5, the second never');
      }
      const one = await runCli(['eval', file, '--mode', 'lexical', '--json'], env);
      assert.deepEqual(Object.keys((JSON.parse(one.stdout) as { modes: object }).modes), ['lexical']);
      await writeFile(file, '{"query": "x", "expect": []}\n');
      const bad = await runCli(['eval', file], env);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /line 1: expect/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
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
      assert.deepEqual(
        schedulers.map((s) => s.pattern),
        ['0 4 * * *'],
      );
    } finally {
      await low.close();
      connection.disconnect();
    }
  });
});

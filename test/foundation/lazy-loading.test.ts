import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LanesClient } from '@lanes/client';
import { dropRagState, ragTestEnv } from '../rag/helpers.ts';
import { echo } from '../support/sample-tasks.ts';
import { eventually, REDIS_URL, REPO_ROOT, uniquePrefix } from '../support/env.ts';
import { CLI, SAMPLE_TASKS } from '../support/workers.ts';

const TRACE_HOOK = join(REPO_ROOT, 'test', 'support', 'module-trace.ts');

/** Modules of the RAG machinery: PDF parsing, tokenizer tables, embedding models and SDKs, the database driver, the tasks package. */
const RAG_MACHINERY: Readonly<Record<string, RegExp>> = {
  'pdf-parse / pdf.js': /\/pdf-parse[@/]|pdfjs/,
  'gpt-tokenizer': /\/gpt-tokenizer[@/]/,
  'embedding models (@energetic-ai, TensorFlow.js)': /\/@energetic-ai|\/@tensorflow/,
  'openai SDK': /\/openai[@/]/,
  'pg driver': /\/(pg|pgvector|pg-pool)[@/]/,
  '@lanes/tasks': /\/packages\/tasks\/src\//,
};

const dir = mkdtempSync(join(tmpdir(), 'lanes-lazy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs a real `lanes worker` with the module trace preloaded; `whileRunning` runs once it has
 * started, then SIGTERM. Returns the modules its main thread loaded.
 */
async function tracedWorker(
  label: string,
  args: readonly string[],
  env: Record<string, string>,
  whileRunning: () => Promise<void>,
): Promise<string[]> {
  const trace = join(dir, `${label}.txt`);
  const child = spawn(process.execPath, ['--import', TRACE_HOOK, CLI, 'worker', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, LOG_LEVEL: 'info', LANES_TEST_MODULE_TRACE: trace },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await eventually(
      async () => (output.includes('worker started') ? true : undefined),
      60_000,
      `the ${label} worker to start`,
    );
    await whileRunning();
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, output.slice(-2000));
  return readFileSync(trace, 'utf8').split('\n');
}

function loadedMachinery(modules: readonly string[], names: readonly string[]): string[] {
  return names.filter((name) => modules.some((url) => RAG_MACHINERY[name]!.test(url)));
}

describe('a worker loads the RAG machinery only when it needs it', () => {
  test('a --no-builtins worker on the sample tasks runs a job without loading any of it', async () => {
    const prefix = uniquePrefix('lazy-nob');
    const client = new LanesClient({ redisUrl: REDIS_URL, prefix });
    try {
      const modules = await tracedWorker(
        'no-builtins',
        ['--no-builtins', '--tasks', SAMPLE_TASKS],
        { REDIS_URL, LANES_PREFIX: prefix },
        async () => {
          const result = await (await client.enqueue(echo, { message: 'hi' })).wait({ timeoutMs: 20_000 });
          assert.equal(result.echoed, 'hi');
        },
      );
      assert.ok(
        modules.some((url) => url.includes('sample-tasks.ts')),
        'the trace saw the task module',
      );
      assert.deepEqual(loadedMachinery(modules, Object.keys(RAG_MACHINERY)), []);
    } finally {
      await client.close();
    }
  });

  test('a worker with the built-ins starts without PDF parsing, tokenizer, models or SDKs, and loads the tokenizer with its first embedding', async () => {
    const env = ragTestEnv('lazy');
    const idle = await tracedWorker('builtins-idle', [], env, async () => undefined);
    assert.ok(
      loadedMachinery(idle, ['pg driver', '@lanes/tasks']).length === 2,
      'the built-ins are there (the schema was migrated)',
    );
    assert.deepEqual(
      loadedMachinery(idle, [
        'pdf-parse / pdf.js',
        'gpt-tokenizer',
        'embedding models (@energetic-ai, TensorFlow.js)',
        'openai SDK',
      ]),
      [],
    );

    const { ingest } = await import('@lanes/contracts');
    const client = new LanesClient({ redisUrl: REDIS_URL, prefix: env.LANES_PREFIX! });
    try {
      const busy = await tracedWorker('builtins-busy', [], env, async () => {
        const result = await (
          await client.enqueue(ingest, { text: 'Lazy workers load the tokenizer on first use.', source: 'lazy.txt' })
        ).wait({ timeoutMs: 60_000 });
        assert.equal(result.chunks, 1);
      });
      // Extraction and chunking run in threads; the embedder, in this thread, counts tokens.
      assert.deepEqual(loadedMachinery(busy, ['gpt-tokenizer']), ['gpt-tokenizer']);
      assert.deepEqual(loadedMachinery(busy, ['pdf-parse / pdf.js', 'openai SDK']), []);
    } finally {
      await client.close();
      await dropRagState(env);
    }
  });
});
